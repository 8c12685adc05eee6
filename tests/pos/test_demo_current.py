"""The demo store is a store as it would be today: every daily job ran along its history."""
from __future__ import annotations

from pos import demo


def test_demo_store_is_marked_as_demo(db):
    assert not db.settings.get("demo_store")
    demo.build(db, members=20, products=10)
    assert db.settings["demo_store"] is True
    from pos.database import open_db

    again = open_db(db.path, clock=db.clock)
    try:
        assert again.settings["demo_store"] is True  # stored, not only cached
    finally:
        again.close()
