/**
@param {object} user - The user being created
@param {string} user.tenant - Auth0 tenant name
@param {object} context - Auth0 connection and other context info
@param {function} cb - function (error, response)
*/
exports.onExecutePreUserRegistration = async (event, api) => {};
