module.exports = function (user, context, cb) {
  var response = {};

  response.user = {
    user_metadata: { theme: 'light' },
    app_metadata: { manager: false, department: 7 }
  };

  cb(null, response);
};
