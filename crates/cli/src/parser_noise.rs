//! A parsing library's log noise, counted instead of written: lopdf logs an `ERROR` line for
//! every damaged object, and one hostile PDF wrote 22,000 of them into the hub's log. While a
//! parse runs under a budget ([`ecenter_budget::in_scope`]), its library messages are counted on
//! that budget and the hub writes one summary line when the parse ends; outside a parse they are
//! written as usual.

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_log::NormalizeEvent;
use tracing_subscriber::layer::{Context, Filter, Layer};

/// Targets whose events are a parser's noise.
fn is_parser(event: &Event<'_>) -> bool {
    let target = match event.normalized_metadata() {
        Some(meta) => meta.target().to_string(),
        None => event.metadata().target().to_string(),
    };
    target.starts_with("lopdf")
}

/// Counts parser messages on the ambient budget.
pub struct CountParserNoise;

struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

impl<S: Subscriber> Layer<S> for CountParserNoise {
    fn on_event(&self, event: &Event<'_>, _cx: Context<'_, S>) {
        if ecenter_budget::in_scope() && is_parser(event) {
            let mut message = Message(String::new());
            event.record(&mut message);
            ecenter_budget::note_library_message(&message.0);
        }
    }
}

/// The filter for the writing layer: drops parser messages that a budget counted.
pub struct QuietParsers;

impl<S: Subscriber> Filter<S> for QuietParsers {
    fn enabled(&self, _meta: &tracing::Metadata<'_>, _cx: &Context<'_, S>) -> bool {
        true
    }

    fn event_enabled(&self, event: &Event<'_>, _cx: &Context<'_, S>) -> bool {
        !(ecenter_budget::in_scope() && is_parser(event))
    }
}
