//! Log lines as runc (logrus) writes them, for `--log FILE` and `--log-format`:
//! `json` gives one object per line, `{"level":"error","msg":"...","time":"RFC 3339"}`
//! (what containerd's runc shim reads back from `log.json` to report why a runtime
//! command failed), `text` gives `time="..." level=error msg="..."`.

use std::fmt::Write as _;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// The event formatter for logs written to a file (or stderr with `--log-format json`).
pub struct Logrus {
    pub json: bool,
}

/// logrus's level names.
fn level_name(l: &Level) -> &'static str {
    match *l {
        Level::ERROR => "error",
        Level::WARN => "warning",
        Level::INFO => "info",
        Level::DEBUG => "debug",
        Level::TRACE => "trace",
    }
}

#[derive(Default)]
struct Fields {
    msg: String,
    extra: Vec<(String, String)>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.msg = value.to_string();
        } else {
            self.extra
                .push((field.name().to_string(), value.to_string()));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.msg = format!("{value:?}");
        } else {
            self.extra
                .push((field.name().to_string(), format!("{value:?}")));
        }
    }
}

/// Quotes a value as logrus's text formatter does (Go-style double quotes).
fn quote(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

/// One log line (without the newline).
pub fn line(level: &Level, msg: &str, extra: &[(String, String)], json: bool) -> String {
    let time = crate::oci::state::rfc3339_now();
    if json {
        let mut o = serde_json::Map::new();
        for (k, v) in extra {
            o.insert(k.clone(), serde_json::Value::from(v.as_str()));
        }
        o.insert("level".into(), level_name(level).into());
        o.insert("msg".into(), msg.into());
        o.insert("time".into(), time.into());
        return serde_json::Value::Object(o).to_string();
    }
    let mut s = format!(
        "time={} level={} msg={}",
        quote(&time),
        level_name(level),
        quote(msg)
    );
    for (k, v) in extra {
        let _ = write!(s, " {k}={}", quote(v));
    }
    s
}

impl<S, N> FormatEvent<S, N> for Logrus
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut w: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let mut f = Fields::default();
        event.record(&mut f);
        writeln!(
            w,
            "{}",
            line(event.metadata().level(), &f.msg, &f.extra, self.json)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_line() {
        let l = line(&Level::ERROR, "bad \"x\"", &[], true);
        let v: serde_json::Value = serde_json::from_str(&l).expect("JSON");
        assert_eq!(v["level"], "error");
        assert_eq!(v["msg"], "bad \"x\"");
        assert!(v["time"].as_str().is_some_and(|t| t.ends_with('Z')));
    }

    #[test]
    fn text_line() {
        let l = line(&Level::WARN, "a b", &[("k".into(), "v".into())], false);
        assert!(l.starts_with("time=\""), "{l}");
        assert!(l.ends_with(" level=warning msg=\"a b\" k=\"v\""), "{l}");
    }
}
