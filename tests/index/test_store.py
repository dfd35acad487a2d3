"""The payload store: items back in the order asked, kept across reopening, bad files refused."""

import numpy as np
import pytest

from cmhash.errors import InputError, MissingFileError
from cmhash.index import Item, PayloadStore


def test_put_many_then_get_many_in_the_order_asked(tmp_path):
    items = [Item(7, "a.jpg", "a cat", ("animal",)), Item(3, "b.jpg", None, ()),
             Item(12, None, "just text", ("x", "y"))]
    with PayloadStore(tmp_path / "payload.sqlite") as store:
        assert store.put_many(items) == 3
        assert store.get_many([12, 7, -1, 3, 7]) == [items[2], items[0], None, items[1],
                                                      items[0]]
        assert store.get_many(np.array([[3], [12]])) == [items[1], items[2]]  # any shape
        store.put_many([Item(3, "c.jpg")])  # replaces
        assert len(store) == 3
        assert store.delete_many([7, 99]) == 1
    with PayloadStore(tmp_path / "payload.sqlite", create=False) as store:
        assert store.get_many([3, 12]) == [Item(3, "c.jpg"), items[2]]
        with pytest.raises(InputError, match="no item with id 7"):
            store.get_many([3, 7])


def test_many_ids_at_once(tmp_path):
    with PayloadStore(tmp_path / "p.sqlite") as store:
        store.put_many(Item(i, f"{i}.jpg") for i in range(2000))
        wanted = np.random.default_rng(0).permutation(2000)
        assert [item.image for item in store.get_many(wanted)] == [f"{i}.jpg" for i in wanted]


def test_foreign_or_missing_files_are_refused(tmp_path):
    with pytest.raises(MissingFileError, match="payload store not found"):
        PayloadStore(tmp_path / "none.sqlite", create=False)
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database at all" * 100)
    with pytest.raises(InputError, match=r"junk\.sqlite: not a payload store"):
        PayloadStore(junk)
    with pytest.raises(InputError, match="non-negative"):
        PayloadStore(tmp_path / "ok.sqlite").put_many([Item(-1)])
