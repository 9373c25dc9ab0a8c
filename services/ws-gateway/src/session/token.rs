//! The connection's token: adopting a new one (`connect` frames), when it
//! expires, and whether its API key was revoked.

use std::sync::Arc;
use std::time::Duration;

use asynchronio_protocol::{ErrorCode, ServerFrame};
use tokio::time::Instant;

use super::Session;
use crate::access::Action;
use crate::close::CloseReason;
use crate::socket::ClientSocket;

/// The furthest a token's expiry timer is ever set: a far-future `exp`
/// must not overflow the clock.
const LONGEST_DEADLINE: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

impl Session {
    /// Whether the API key that issued the connection's token is revoked
    /// (read when the close signal fires, to say why).
    pub fn token_revoked(&self) -> bool {
        self.claims
            .as_ref()
            .and_then(|claims| claims.key.as_deref())
            .is_some_and(|key| self.context.revocations.is_revoked(key))
    }

    /// Changes whenever the connection presents a new token.
    pub fn token_generation(&self) -> u64 {
        self.token_generation
    }

    /// When the connection's token expires, if it has one.
    pub fn token_deadline(&self) -> Option<Instant> {
        let exp = self.claims.as_ref()?.exp;
        // Saturating: a far-future `exp` must not overflow the clock.
        let left = Duration::from_millis(
            exp.saturating_mul(1000)
                .saturating_sub(asynchronio_protocol::clock::now_ms()),
        )
        .min(LONGEST_DEADLINE);
        Some(Instant::now() + left)
    }

    /// Adopts a new token: its key's registration replaces the old one's,
    /// and subscriptions the new token does not grant end (each with an
    /// error frame), so nothing outlives the token that allowed it.
    pub(super) async fn connect(
        &mut self,
        id: Option<u64>,
        token: &str,
        socket: &mut ClientSocket,
    ) -> Result<(), CloseReason> {
        let claims = match self.context.verify_token(token) {
            Ok(claims) => claims,
            Err(message) => {
                let reply = ServerFrame::error(id, ErrorCode::Unauthorized, message);
                return self.reply(socket, reply).await;
            }
        };
        let sub = claims.sub.clone();
        // Dropped first: the old registration's drop must not remove the
        // new one (both are this connection's, under the same key).
        self.holding = None;
        self.holding = self
            .context
            .revocations
            .hold(&claims, self.conn_id, &self.slow);
        self.claims = Some(Box::new(claims));
        self.token_generation += 1;
        let ungranted = self.end_ungranted_subscriptions();
        self.reply(socket, ServerFrame::Connected { id, sub })
            .await?;
        for channel in ungranted {
            let ended = ServerFrame::error(
                None,
                ErrorCode::Forbidden,
                format!(
                    "subscription to {channel} ended: the new token does not grant it; subscribe again with a token that does"
                ),
            );
            self.reply(socket, ended).await?;
        }
        Ok(())
    }

    /// Ends the subscriptions the current token does not grant, and says
    /// which they were.
    fn end_ungranted_subscriptions(&mut self) -> Vec<Arc<str>> {
        let ungranted: Vec<Arc<str>> = self
            .subscriptions
            .keys()
            .filter(|channel| self.allowed(Action::Subscribe, channel, None).is_err())
            .cloned()
            .collect();
        for channel in &ungranted {
            self.subscriptions.remove(channel);
            self.context.hub.leave(channel, self.conn_id);
        }
        self.depart(ungranted.clone());
        ungranted
    }
}
