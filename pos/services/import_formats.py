"""The CSV formats of `member import` and `history import` (public: a chain's export
is made to them) and their options' choices, kept apart from the importers so that
registering the commands (`--help`, every headless command) loads neither
(pos.cli.imports). pos.services.member_import and history_import use these."""
from __future__ import annotations

# member import
PROFILE = ("name", "gender", "birthday", "region", "address")
COLUMNS = ("phone", *PROFILE, "channel", "joined_at", "card_no", "member_code", "tier", "tier_since",
           "tier_expires", "qualifying_spend_fen", "points", "points_expire_on", "stored_value_fen", "tags",
           "marketing_consent", "external_id")
DUPLICATES = ("report", "merge")

# history import
REQUIRED = ("receipt_no", "sold_at", "member", "qty", "amount_fen")
OPTIONAL = ("barcode", "sku", "store", "points_earned", "returned_of")
POINTS = ("recorded", "recompute", "none")
