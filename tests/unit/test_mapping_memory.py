"""Mappings the rep corrected come back for files with the same headers."""

from __future__ import annotations

from bulkquote_gui.services.mapping_memory import MappingMemory


def test_a_corrected_mapping_is_offered_for_the_same_headers_only(tmp_path):
    memory = MappingMemory(tmp_path)
    headers = ["Site", "PHSTREET", "PHCITY", "PHSTATE", "PHZIP", "ADSTREET"]
    assert memory.recall(headers) is None
    memory.remember(headers, {"street": "PHSTREET", "city": "PHCITY", "state": "PHSTATE",
                              "postal_code": "PHZIP"})
    again = MappingMemory(tmp_path)                          # a later start of the app
    assert again.recall([f" {h} " for h in headers])["street"] == "PHSTREET"   # spaces aside
    assert again.recall(list(reversed(headers))) is None     # another layout
    assert again.recall(headers[:4]) is None                  # another file
    again.forget(headers)
    assert MappingMemory(tmp_path).recall(headers) is None


def test_a_damaged_file_is_read_as_empty_and_replaced(tmp_path):
    (tmp_path / "mappings.json").write_text("{not json")
    memory = MappingMemory(tmp_path)
    assert memory.recall(["a"]) is None
    memory.remember(["a", "b"], {"street": "a"})
    assert MappingMemory(tmp_path).recall(["a", "b"]) == {"street": "a"}


def test_a_remembered_column_that_is_gone_is_not_offered(tmp_path):
    memory = MappingMemory(tmp_path)
    memory.remember(["A", "B"], {"street": "A", "city": "Gone"})
    assert memory.recall(["A", "B"]) is None
