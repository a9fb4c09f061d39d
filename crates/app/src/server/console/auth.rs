//! Sign-in for the console: argon2 passwords, server-side sessions, CSRF tokens, a login rate
//! limit, and the optional single-sign-on header of a trusted reverse proxy.
//!
//! - A session is 32 random bytes in the cookie `mlc_session` (HttpOnly, SameSite=Strict,
//!   Secure when a trusted proxy says the request came over https). The store keeps only its
//!   SHA-256, the user and the session's CSRF token; the user's role is read at every request.
//! - Every state-changing form carries the session's CSRF token in the field `csrf`; a POST
//!   without it (or with another) is refused with 403 before anything changes.
//! - Sign-in failures are counted per user name and per peer address in a sliding window; over
//!   the limit, sign-in answers 429 without checking the password.
//! - An unknown user name costs one argon2 verification like a known one, so response time
//!   does not tell which names exist.
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use mlc_store::{Role, Session};
use rand::RngCore as _;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq as _;

use crate::server::ServerState;

/// The session cookie's name.
pub(crate) const COOKIE: &str = "mlc_session";
/// Shortest password `users add` and `reset-password` accept.
pub(crate) const MIN_PASSWORD_LEN: usize = 10;

// ---- passwords -------------------------------------------------------------------------------

/// The argon2id PHC string of `password`, with a fresh random salt.
pub(crate) fn hash_password(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))
}

/// Whether `password` matches the PHC string `phc` (false for an unreadable hash).
pub(crate) fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Spends the time of one verification for a user that does not exist.
fn verify_nobody(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let phc = DUMMY.get_or_init(|| hash_password("not a password of anyone").unwrap_or_default());
    let _ = verify_password(password, phc);
}

// ---- tokens ----------------------------------------------------------------------------------

/// 32 random bytes as hex.
pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What the store keeps of a session token.
pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Constant-time comparison of two tokens.
pub(crate) fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

// ---- settings and the login limit ------------------------------------------------------------

/// How the console authenticates.
#[derive(Debug, Clone)]
pub(crate) struct AuthSettings {
    /// The header a trusted proxy puts the signed-in user's name in.
    pub(crate) trusted_header: Option<http::HeaderName>,
    /// Addresses whose `trusted_header` and `X-Forwarded-Proto` are believed.
    pub(crate) trusted_proxies: Vec<IpAddr>,
    /// How long a sign-in lasts.
    pub(crate) session_ttl: Duration,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            trusted_header: None,
            trusted_proxies: Vec::new(),
            session_ttl: crate::config::settings::DEFAULT_SESSION_TTL,
        }
    }
}

/// Failed sign-ins allowed per user name within [`LoginLimiter::WINDOW`].
const PER_USER: usize = 5;
/// Failed sign-ins allowed per peer address within the window.
const PER_PEER: usize = 20;

/// Counts failed sign-ins per user name and per peer.
#[derive(Debug, Default)]
pub(crate) struct LoginLimiter {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl LoginLimiter {
    /// How long a failure counts.
    const WINDOW: Duration = Duration::from_secs(15 * 60);

    fn keys(user: &str, peer: Option<IpAddr>) -> [(String, usize); 2] {
        [
            (format!("user:{}", user.to_lowercase()), PER_USER),
            (
                format!("peer:{}", peer.map_or("-".to_owned(), |p| p.to_string())),
                PER_PEER,
            ),
        ]
    }

    /// True when this user name or this peer has failed too often recently.
    pub(crate) fn blocked(&self, user: &str, peer: Option<IpAddr>) -> bool {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        Self::keys(user, peer).iter().any(|(key, limit)| {
            map.get_mut(key).is_some_and(|times| {
                times.retain(|t| now.duration_since(*t) < Self::WINDOW);
                times.len() >= *limit
            })
        })
    }

    /// Counts one failed sign-in.
    pub(crate) fn failed(&self, user: &str, peer: Option<IpAddr>) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        // Bounded memory: a flood of distinct names forgets the oldest counters wholesale.
        if map.len() > 100_000 {
            map.clear();
        }
        for (key, _) in Self::keys(user, peer) {
            map.entry(key).or_default().push(Instant::now());
        }
    }

    /// Forgets the failures of a user after a successful sign-in.
    pub(crate) fn succeeded(&self, user: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&format!("user:{}", user.to_lowercase()));
    }
}

// ---- requests --------------------------------------------------------------------------------

/// The peer's address, when the listener recorded it.
pub(crate) fn peer(parts: &Parts) -> Option<IpAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_canonical())
}

fn from_trusted_proxy(state: &ServerState, parts: &Parts) -> bool {
    peer(parts).is_some_and(|ip| state.console.auth.trusted_proxies.contains(&ip))
}

/// Whether the browser reached us over https: only a trusted proxy can say so (the service
/// itself serves plain HTTP).
pub(crate) fn over_https(state: &ServerState, parts: &Parts) -> bool {
    from_trusted_proxy(state, parts)
        && parts
            .headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"))
}

pub(crate) fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The `Set-Cookie` value of a new session.
pub(crate) fn session_cookie(token: &str, ttl: Duration, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let value = format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        ttl.as_secs()
    );
    // Hex token and fixed text: always a valid header value.
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The `Set-Cookie` value that ends a session in the browser.
pub(crate) fn cleared_cookie() -> HeaderValue {
    HeaderValue::from_static("mlc_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// Creates a session for `user` and returns the cookie to set.
pub(crate) async fn start_session(
    state: &ServerState,
    user: &str,
    secure: bool,
) -> Result<(HeaderValue, Session), Response> {
    let token = random_token();
    let ttl = state.console.auth.session_ttl;
    let expires = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::try_from(ttl).unwrap_or(jiff::SignedDuration::ZERO))
        .unwrap_or(jiff::Timestamp::MAX);
    let csrf = random_token();
    state
        .store
        .session_create(&token_hash(&token), user, &csrf, expires)
        .await
        .map_err(store_error)?;
    let session = state
        .store
        .session_get(&token_hash(&token))
        .await
        .map_err(store_error)?
        .ok_or_else(|| {
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the new session vanished",
            )
                .into_response()
        })?;
    Ok((session_cookie(&token, ttl, secure), session))
}

/// A store failure as a response (the detail goes to the log, not to the browser).
pub(crate) fn store_error(e: mlc_store::StoreError) -> Response {
    tracing::error!(error = %e, "Console: the store failed.");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        "The state store is not answering; see the service log.",
    )
        .into_response()
}

/// The signed-in user of a request. As an extractor it redirects to `/login` when there is
/// none. With a trusted proxy's header it signs the named user in (a local user; the role is
/// the local one) and sets a session cookie on the response.
#[derive(Debug, Clone)]
pub(crate) struct SignedIn {
    /// User name.
    pub(crate) user: String,
    /// Role now.
    pub(crate) role: Role,
    /// The session's CSRF token, for forms.
    pub(crate) csrf: String,
    /// A cookie to set (a session just opened through the proxy header).
    pub(crate) set_cookie: Option<HeaderValue>,
}

impl SignedIn {
    /// Whether this user may retry, discard, pause and resume.
    pub(crate) fn operator(&self) -> bool {
        self.role >= Role::Operator
    }

    /// Whether `form_token` is this session's CSRF token.
    pub(crate) fn csrf_ok(&self, form_token: Option<&str>) -> bool {
        form_token.is_some_and(|t| same_token(t, &self.csrf))
    }
}

impl FromRequestParts<Arc<ServerState>> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<ServerState>,
    ) -> Result<Self, Self::Rejection> {
        let from_cookie = match cookie_token(&parts.headers) {
            Some(token) => state
                .store
                .session_get(&token_hash(&token))
                .await
                .map_err(store_error)?,
            None => None,
        };
        let proxied_user = state
            .console
            .auth
            .trusted_header
            .as_ref()
            .filter(|_| from_trusted_proxy(state, parts))
            .and_then(|h| parts.headers.get(h))
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned);
        match (from_cookie, proxied_user) {
            // The proxy's word wins over an older session of someone else.
            (Some(s), Some(p)) if s.user != p => proxy_sign_in(state, parts, &p).await,
            (Some(s), _) => Ok(Self {
                user: s.user,
                role: s.role,
                csrf: s.csrf_token,
                set_cookie: None,
            }),
            (None, Some(p)) => proxy_sign_in(state, parts, &p).await,
            (None, None) => Err(Redirect::to("/login").into_response()),
        }
    }
}

async fn proxy_sign_in(
    state: &ServerState,
    parts: &Parts,
    name: &str,
) -> Result<SignedIn, Response> {
    let known = state.store.user_get(name).await.map_err(store_error)?;
    if known.is_none() {
        tracing::warn!(
            user = name,
            "Console: the proxy named a user that does not exist here."
        );
        return Err((
            StatusCode::FORBIDDEN,
            "Your single-sign-on user has no console account here; ask an admin to add it \
             with `ml-connector users add`.",
        )
            .into_response());
    }
    let (cookie, s) = start_session(state, name, over_https(state, parts)).await?;
    Ok(SignedIn {
        user: s.user,
        role: s.role,
        csrf: s.csrf_token,
        set_cookie: Some(cookie),
    })
}

/// Checks a sign-in attempt: the rate limit, then the password. `Ok(None)` is a wrong name or
/// password (counted); `Err` is a refusal (429) or a store failure.
pub(crate) async fn check_password(
    state: &ServerState,
    name: &str,
    password: &str,
    peer: Option<IpAddr>,
) -> Result<Option<String>, Response> {
    let limiter = &state.console.limiter;
    if limiter.blocked(name, peer) {
        tracing::warn!(user = name, peer = ?peer, "Console: sign-in refused, too many failures.");
        return Err((
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "900")],
            "Too many failed sign-ins for this user or address; try again in 15 minutes.",
        )
            .into_response());
    }
    let user = state.store.user_get(name).await.map_err(store_error)?;
    let ok = match &user {
        Some(u) => verify_password(password, &u.password_hash),
        None => {
            verify_nobody(password);
            false
        }
    };
    if ok {
        limiter.succeeded(name);
        Ok(user.map(|u| u.name))
    } else {
        limiter.failed(name, peer);
        tracing::info!(user = name, peer = ?peer, "Console: failed sign-in.");
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_salt_and_verify() {
        let a = hash_password("correct horse battery").unwrap();
        let b = hash_password("correct horse battery").unwrap();
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_ne!(a, b, "a fresh salt each time");
        assert!(verify_password("correct horse battery", &a));
        assert!(!verify_password("correct horse batterx", &a));
        assert!(!verify_password("anything", "not a phc string"));
    }

    #[test]
    fn the_limiter_blocks_a_user_after_five_failures_and_forgets_on_success() {
        let l = LoginLimiter::default();
        let peer = Some(IpAddr::from([10, 0, 0, 1]));
        for _ in 0..PER_USER {
            assert!(!l.blocked("ann", peer));
            l.failed("ann", peer);
        }
        assert!(l.blocked("ann", peer));
        assert!(
            l.blocked("ANN", Some(IpAddr::from([10, 0, 0, 2]))),
            "per user, any peer"
        );
        assert!(!l.blocked("bob", peer), "another user from the same peer");
        l.succeeded("ann");
        assert!(!l.blocked("ann", peer));
    }

    #[test]
    fn the_limiter_blocks_a_peer_trying_many_names() {
        let l = LoginLimiter::default();
        let peer = Some(IpAddr::from([10, 0, 0, 9]));
        for i in 0..PER_PEER {
            l.failed(&format!("user{i}"), peer);
        }
        assert!(l.blocked("someone-new", peer));
        assert!(!l.blocked("someone-new", Some(IpAddr::from([10, 0, 0, 8]))));
    }

    #[test]
    fn cookies_are_http_only_strict_and_secure_on_request() {
        let c = session_cookie(&"a".repeat(64), Duration::from_secs(60), false);
        let c = c.to_str().unwrap();
        assert!(
            c.contains("HttpOnly") && c.contains("SameSite=Strict"),
            "{c}"
        );
        assert!(!c.contains("Secure"), "{c}");
        let c = session_cookie(&"a".repeat(64), Duration::from_secs(60), true);
        assert!(c.to_str().unwrap().ends_with("; Secure"));
    }

    #[test]
    fn only_well_formed_session_cookies_are_read() {
        let mut h = HeaderMap::new();
        let token = "ab".repeat(32);
        h.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("x=1; {COOKIE}={token}")).unwrap(),
        );
        assert_eq!(cookie_token(&h).as_deref(), Some(token.as_str()));
        h.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("{COOKIE}=../../etc")).unwrap(),
        );
        assert_eq!(cookie_token(&h), None);
    }
}
