"""HTTP handlers for people, sessions, invites, service tokens, the audit log and security status."""
from __future__ import annotations

from ..errors import BadRequest, Unauthorized
from ..routing import ADMIN, ANY_SCOPE, PUBLIC, USER, Reply, Request, Route, created, ok, page
from ..validation import Field
from .. import audit
from . import people, service_tokens


def bootstrap_status(req: Request) -> Reply:
    """Whether the first admin still has to be created."""
    return ok({"setup_required": req.app.accounts.setup_required()})


def register(req: Request) -> Reply:
    """Create the first user (an admin); refused once anyone exists."""
    d = req.data
    return Reply(201, req.app.accounts.register_first(d["username"], d["email"], d["password"], req.ip))


def login(req: Request) -> Reply:
    """Sign in with username or email and password."""
    identifier, backoff = req.data["username"], req.app.backoff
    backoff.check(identifier, req.ip)
    try:
        session = req.app.accounts.login(identifier, req.data["password"], req.ip)
    except Unauthorized:
        backoff.failed(identifier, req.ip)
        raise
    backoff.succeeded(identifier, req.ip)
    return Reply(200, session)


def logout(req: Request) -> Reply:
    """Revoke every token of the caller issued before now."""
    req.app.accounts.logout(req.principal)
    return ok({"signed_out": True})


def me(req: Request) -> Reply:
    """The caller: a user, or the service token in use."""
    p = req.principal
    if p.kind == "service":
        return ok({"kind": "service", "id": p.id, "name": p.name, "scopes": sorted(p.scopes)})
    return ok(req.app.accounts.get(p.id))


def change_password(req: Request) -> Reply:
    """Change the caller's password; other sessions are signed out, a fresh token is returned."""
    return Reply(200, req.app.accounts.change_password(req.principal, req.data["current_password"],
                                                       req.data["new_password"]))


def invite_info(req: Request) -> Reply:
    """What an invite link is for (email, role, status), for the accept screen."""
    return ok(req.app.invites.info(req.args["token"]))


def accept_invite(req: Request) -> Reply:
    """Create an account from a one-time invite token."""
    d = req.data
    return Reply(201, req.app.invites.accept(d["token"], d["username"], d["password"], req.ip))


def list_users(req: Request) -> Reply:
    """Everyone with an account (active first)."""
    return ok(req.app.accounts.list())


def create_user(req: Request) -> Reply:
    """Create a user directly (admin)."""
    d = req.data
    return created(req.app.accounts.create(req.principal, d["username"], d["email"], d["password"],
                                           d.get("role", "member")))


def update_user(req: Request) -> Reply:
    """Change a user's role, active flag, email or password (admin)."""
    if not req.data:
        raise BadRequest("nothing to change: send role, is_active, email or password")
    return ok(req.app.accounts.update(req.principal, req.params["id"], req.data))


def list_invites(req: Request) -> Reply:
    """Invites with their status."""
    return ok(req.app.invites.list())


def create_invite(req: Request) -> Reply:
    """Invite someone by email; the link is returned once and mailed when SMTP is set up."""
    return created(req.app.invites.create_and_send(req.principal, req.data["email"],
                                                   req.data.get("role", "member"), req.base_url()))


def revoke_invite(req: Request) -> Reply:
    """Revoke a pending invite."""
    return ok(req.app.invites.revoke(req.principal, req.params["id"]))


def list_service_tokens(req: Request) -> Reply:
    """Service tokens (never the secret itself)."""
    return ok(req.app.tokens.list())


def create_service_token(req: Request) -> Reply:
    """Mint a scoped service token; the secret is shown only in this response."""
    return created(req.app.tokens.create(req.principal, req.data["name"], req.data["scopes"]))


def revoke_service_token(req: Request) -> Reply:
    """Revoke a service token at once."""
    return ok(req.app.tokens.revoke(req.principal, req.params["id"]))


def audit_log(req: Request) -> Reply:
    """The audit log, newest first, filterable by action, entity, actor and time."""
    limit, offset = req.args["limit"], req.args["offset"]
    entries, total = req.app.audit_log.entries(req.args, limit, offset)
    return ok(entries, total=total, limit=limit, offset=offset)


def security_status(req: Request) -> Reply:
    """Security configuration and a checklist of what needs attention."""
    return ok(req.app.security.report(req.headers.get("X-Forwarded-Proto")))


USERNAME = Field("username", required=True)
EMAIL = Field("email", required=True)
ROLE = Field(choices=people.ROLES, description="admin or member (default member)")

ROUTES: list[Route] = [
    Route("GET", "/api/bootstrap/status", bootstrap_status, PUBLIC, tag="auth"),
    Route("POST", "/api/auth/register", register, PUBLIC, rate="auth", tag="auth",
          body={"username": USERNAME, "email": EMAIL, "password": people.PASSWORD}),
    Route("POST", "/api/auth/login", login, PUBLIC, rate="auth", tag="auth",
          body={"username": Field(required=True, min_length=1, max_length=254,
                                  description="Username or email address"),
                "password": Field("password", required=True, min_length=1, max_length=1024)}),
    Route("GET", "/api/auth/invite", invite_info, PUBLIC, rate="auth", tag="auth",
          query={"token": Field(required=True, max_length=200, description="the invite token from the link")}),
    Route("POST", "/api/auth/accept-invite", accept_invite, PUBLIC, rate="auth", tag="auth",
          body={"token": Field(required=True, min_length=1, max_length=200), "username": USERNAME,
                "password": people.PASSWORD}),
    Route("POST", "/api/auth/logout", logout, USER, tag="auth"),
    Route("GET", "/api/auth/me", me, USER, scope=ANY_SCOPE, tag="auth"),
    Route("POST", "/api/auth/password", change_password, USER, rate="auth", tag="auth",
          body={"current_password": Field("password", required=True, max_length=1024),
                "new_password": people.PASSWORD}),
    Route("GET", "/api/users", list_users, USER, tag="users"),
    Route("POST", "/api/admin/users", create_user, ADMIN, tag="users",
          body={"username": USERNAME, "email": EMAIL, "password": people.PASSWORD, "role": ROLE}),
    Route("PATCH", "/api/admin/users/{id}", update_user, ADMIN, tag="users",
          body={"role": ROLE, "is_active": Field("boolean"), "email": Field("email"),
                "password": Field("password", min_length=8, max_length=256)}),
    Route("GET", "/api/admin/invites", list_invites, ADMIN, tag="users"),
    Route("POST", "/api/admin/invites", create_invite, ADMIN, tag="users",
          body={"email": EMAIL, "role": ROLE}),
    Route("DELETE", "/api/admin/invites/{id}", revoke_invite, ADMIN, tag="users"),
    Route("GET", "/api/admin/service-tokens", list_service_tokens, ADMIN, tag="service tokens"),
    Route("POST", "/api/admin/service-tokens", create_service_token, ADMIN, tag="service tokens",
          body={"name": Field(required=True, min_length=1, max_length=100),
                "scopes": Field("array", required=True, min_length=1,
                                choices=tuple(service_tokens.SCOPES))}),
    Route("DELETE", "/api/admin/service-tokens/{id}", revoke_service_token, ADMIN, tag="service tokens"),
    Route("GET", "/api/audit-log", audit_log, ADMIN, tag="security",
          query={**page(), **{k: Field(max_length=200) for k in audit.FILTERS}}),
    Route("GET", "/api/security/status", security_status, ADMIN, tag="security"),
]
