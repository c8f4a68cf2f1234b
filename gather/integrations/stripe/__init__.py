"""The Stripe connector: client, charges stream, event handlers (see BEHAVIOR.md)."""
