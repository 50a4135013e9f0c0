"""Static files under fingerprinted names, cached a year and compressed; pages private."""

from __future__ import annotations

import brotli
from flask import url_for


def test_static_urls_carry_the_content_hash_and_are_immutable(app, client):
    with app.test_request_context():
        url = url_for("static", filename="hub.css")
    assert url.startswith("/static/hub.") and url.endswith(".css") and len(url) == len("/static/hub.css") + 13
    answer = client.get(url, headers={"Accept-Encoding": "br, gzip"})
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert answer.headers["Content-Encoding"] == "br" and "Accept-Encoding" in answer.headers["Vary"]
    with open(app.static_folder + "/hub.css", "rb") as original:
        assert brotli.decompress(answer.data) == original.read()
    assert client.get(url, headers={"Accept-Encoding": "gzip"}).headers["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in client.get(url, headers={"Accept-Encoding": "identity"}).headers


def test_a_stale_or_plain_name_is_revalidated_not_kept(client):
    plain = client.get("/static/hub.css")
    assert plain.status_code == 200 and "immutable" not in plain.headers["Cache-Control"]
    assert client.get("/static/hub.000000000000.css").status_code == 404
    assert client.get("/static/../config.py").status_code == 404


def test_pages_are_private_and_compressed(client):
    answer = client.get("/login", headers={"Accept-Encoding": "gzip"})
    assert answer.headers["Cache-Control"] == "private, no-cache"
    assert answer.headers["Content-Encoding"] == "gzip"
