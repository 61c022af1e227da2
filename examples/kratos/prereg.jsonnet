// The body Ory Kratos' registration web_hook sends to prereg (POST /v1/hooks/kratos/registration).
// Kratos calls it with ctx = {flow, identity, request_headers, request_method, request_url,
// request_cookies}. It forwards what an Auth0-style flow reads and leaves out what it must not see:
// no request_cookies (session cookies) and no flow.ui (it holds the CSRF token).
function(ctx) {
  identity: ctx.identity,
  flow: {
    id: ctx.flow.id,
    type: ctx.flow.type,
    active: if std.objectHas(ctx.flow, 'active') then ctx.flow.active else null,
    request_url: ctx.flow.request_url,
    organization_id: if std.objectHas(ctx.flow, 'organization_id') then ctx.flow.organization_id else null,
    transient_payload: if std.objectHas(ctx.flow, 'transient_payload') then ctx.flow.transient_payload else {},
    oauth2_login_request: if std.objectHas(ctx.flow, 'oauth2_login_request') then ctx.flow.oauth2_login_request else null,
  },
  request_headers: ctx.request_headers,
  request_method: ctx.request_method,
  request_url: ctx.request_url,
}
