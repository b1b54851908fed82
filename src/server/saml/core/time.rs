//! Checklist item 6: IssueInstant, NotBefore and NotOnOrAfter against the clock that is passed in, with the IdP's
//! allowed clock skew. A response must say when it stops being valid: that moment also bounds how long its ID is
//! kept in the replay cache, so a response without any NotOnOrAfter is refused.

use chrono::{DateTime, Duration, SecondsFormat, Utc};

use super::error::{SamlError, SamlErrorCode};

/// A validity window found in the response (`Conditions`, or a `SubjectConfirmationData`).
#[derive(Clone, Copy, Debug)]
pub struct Window<'a> {
    /// Where the window was found, for the diagnosis.
    pub source: &'a str,
    pub not_before: Option<DateTime<Utc>>,
    pub not_on_or_after: Option<DateTime<Utc>>,
}

fn stamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn describe(what: &str, at: DateTime<Utc>, now: DateTime<Utc>, skew: Duration) -> String {
    let delta = (at - now).num_seconds();
    format!(
        "{what} is {} (our clock: {}, difference {delta:+} s, allowed clock skew {} s)",
        stamp(at),
        stamp(now),
        skew.num_seconds()
    )
}

/// Refuses an assertion whose `SessionNotOnOrAfter` (the end of the identity provider's own session for the person)
/// has passed: a session opened from it would already be over.
pub fn check_session_end(
    session_not_on_or_after: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    skew: Duration,
) -> Result<(), SamlError> {
    match session_not_on_or_after {
        Some(end) if now - skew >= end => Err(SamlError::new(
            SamlErrorCode::SessionEnded,
            describe("AuthnStatement SessionNotOnOrAfter", end, now, skew),
        )),
        _ => Ok(()),
    }
}

/// Checks every issue instant and window; returns the end of validity (the earliest NotOnOrAfter).
pub fn check_times(
    issue_instants: &[(&str, DateTime<Utc>)],
    windows: &[Window<'_>],
    now: DateTime<Utc>,
    skew: Duration,
) -> Result<DateTime<Utc>, SamlError> {
    for (what, issued) in issue_instants {
        if *issued > now + skew {
            return Err(SamlError::new(
                SamlErrorCode::IssuedInFuture,
                describe(&format!("{what} IssueInstant"), *issued, now, skew),
            ));
        }
    }
    let mut valid_until: Option<DateTime<Utc>> = None;
    for window in windows {
        if let Some(not_before) = window.not_before {
            if not_before > now + skew {
                return Err(SamlError::new(
                    SamlErrorCode::NotYetValid,
                    describe(
                        &format!("{} NotBefore", window.source),
                        not_before,
                        now,
                        skew,
                    ),
                ));
            }
        }
        if let Some(not_on_or_after) = window.not_on_or_after {
            if now - skew >= not_on_or_after {
                return Err(SamlError::new(
                    SamlErrorCode::Expired,
                    describe(
                        &format!("{} NotOnOrAfter", window.source),
                        not_on_or_after,
                        now,
                        skew,
                    ),
                ));
            }
            valid_until = Some(valid_until.map_or(not_on_or_after, |t| t.min(not_on_or_after)));
        }
    }
    valid_until.ok_or_else(|| {
        SamlError::new(
            SamlErrorCode::Expired,
            "the response sets no NotOnOrAfter (in Conditions or SubjectConfirmationData), so it would never expire",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap()
    }

    fn skew() -> Duration {
        Duration::minutes(3)
    }

    fn window(not_before: i64, not_on_or_after: i64) -> Window<'static> {
        Window {
            source: "Conditions",
            not_before: Some(now() + Duration::seconds(not_before)),
            not_on_or_after: Some(now() + Duration::seconds(not_on_or_after)),
        }
    }

    fn check(issued: i64, windows: &[Window<'_>]) -> Result<DateTime<Utc>, SamlError> {
        check_times(
            &[("Response", now() + Duration::seconds(issued))],
            windows,
            now(),
            skew(),
        )
    }

    #[test]
    fn a_fresh_response_is_valid_until_its_earliest_not_on_or_after() {
        let confirmation = Window {
            source: "SubjectConfirmationData",
            not_before: None,
            not_on_or_after: Some(now() + Duration::seconds(120)),
        };
        let until = check(-5, &[window(-5, 300), confirmation]).unwrap();
        assert_eq!(until, now() + Duration::seconds(120));
    }

    #[test]
    fn not_before_at_and_just_past_the_skew() {
        assert!(
            check(0, &[window(180, 600)]).is_ok(),
            "exactly at the skew boundary"
        );
        let err = check(0, &[window(181, 600)]).unwrap_err();
        assert_eq!(err.code, SamlErrorCode::NotYetValid);
        assert!(
            err.diagnosis.contains("difference +181 s"),
            "{}",
            err.diagnosis
        );
        assert!(
            err.diagnosis.contains("allowed clock skew 180 s"),
            "{}",
            err.diagnosis
        );
    }

    #[test]
    fn not_on_or_after_at_and_just_past_the_skew() {
        assert!(
            check(-400, &[window(-400, -179)]).is_ok(),
            "one second inside the skew"
        );
        let err = check(-400, &[window(-400, -180)]).unwrap_err();
        assert_eq!(err.code, SamlErrorCode::Expired);
        let (now, skew) = (now(), skew());
        assert!(check_session_end(Some(now - Duration::seconds(179)), now, skew).is_ok());
        assert!(check_session_end(None, now, skew).is_ok());
        let ended = check_session_end(Some(now - Duration::seconds(180)), now, skew).unwrap_err();
        assert_eq!(ended.code, SamlErrorCode::SessionEnded);
        assert!(
            ended.diagnosis.contains("SessionNotOnOrAfter"),
            "{}",
            ended.diagnosis
        );
        assert!(
            err.diagnosis
                .contains("NotOnOrAfter is 2026-11-23T11:57:00Z"),
            "{}",
            err.diagnosis
        );
    }

    #[test]
    fn issue_instant_at_and_just_past_the_skew() {
        assert!(check(180, &[window(0, 600)]).is_ok());
        let err = check(181, &[window(0, 600)]).unwrap_err();
        assert_eq!(err.code, SamlErrorCode::IssuedInFuture);
        assert!(
            err.diagnosis.starts_with("Response IssueInstant"),
            "{}",
            err.diagnosis
        );
    }

    #[test]
    fn a_response_that_never_expires_is_refused() {
        let open = Window {
            source: "Conditions",
            not_before: Some(now()),
            not_on_or_after: None,
        };
        assert_eq!(check(0, &[open]).unwrap_err().code, SamlErrorCode::Expired);
        assert_eq!(check(0, &[]).unwrap_err().code, SamlErrorCode::Expired);
    }
}
