"""Airbyte's Greenhouse source (``airbyte-source-greenhouse``) against a Harvest-compatible server.

Run by the Python of the pinned environment beside this file (bench/airbyte/requirements.txt),
never imported by the project: `make bench` builds that environment and measures ``read``.

    python run_source.py catalog --base-url URL --config CONFIG --streams a,b --out DIR
    python run_source.py read --config CONFIG --out DIR > records.jsonl

The source's manifest names Greenhouse's host (``url_base``); ``catalog`` writes a copy that
names ``URL/v1/`` instead, everything else as shipped (page size, paginator, retries), and the
configured catalog of the chosen streams (full refresh, schemas from the source's own discover).
``read`` runs the source's ``read`` on that copy: Airbyte messages, one JSON line each, on
stdout, as the connector writes them for its platform.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from importlib import resources
from pathlib import Path

import yaml  # type: ignore[import-untyped]  # types-PyYAML is not locked
from airbyte_cdk.entrypoint import launch
from airbyte_cdk.sources.declarative.yaml_declarative_source import YamlDeclarativeSource

SHIPPED_URL_BASE = "https://harvest.greenhouse.io/v1/"


def write_catalog(base_url: str, config_path: Path, streams: list[str], out: Path) -> None:
    manifest = yaml.safe_load(
        resources.files("source_greenhouse").joinpath("manifest.yaml").read_text()
    )
    requester = manifest["definitions"]["requester"]
    if requester["url_base"] != SHIPPED_URL_BASE:
        raise SystemExit(f"error: unexpected url_base {requester['url_base']!r} in the manifest")
    requester["url_base"] = f"{base_url.rstrip('/')}/v1/"
    manifest_path = out / "manifest.yaml"
    manifest_path.write_text(yaml.safe_dump(manifest))
    config = json.loads(config_path.read_text())
    source = YamlDeclarativeSource(path_to_yaml=str(manifest_path), config=config)
    discovered = {s.name: s for s in source.discover(logging.getLogger("airbyte"), config).streams}
    missing = sorted(set(streams) - set(discovered))
    if missing:
        raise SystemExit(f"error: the source has no stream {', '.join(missing)}")
    catalog = {
        "streams": [
            {
                "stream": {
                    "name": name,
                    "json_schema": discovered[name].json_schema,
                    "supported_sync_modes": ["full_refresh"],
                },
                "sync_mode": "full_refresh",
                "destination_sync_mode": "overwrite",
            }
            for name in streams
        ]
    }
    (out / "catalog.json").write_text(json.dumps(catalog))


def read(config_path: Path, out: Path) -> None:
    manifest_path, catalog_path = out / "manifest.yaml", out / "catalog.json"
    # as the connector's own entry point (source_greenhouse.run) builds it
    source = YamlDeclarativeSource(
        path_to_yaml=str(manifest_path),
        catalog=YamlDeclarativeSource.read_catalog(str(catalog_path)),
        config=YamlDeclarativeSource.read_config(str(config_path)),
        state=None,
    )
    launch(source, ["read", "--config", str(config_path), "--catalog", str(catalog_path)])


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="run_source.py")
    parser.add_argument("command", choices=["catalog", "read"])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--base-url", default="")
    parser.add_argument("--streams", default="")
    args = parser.parse_args(argv)
    if args.command == "catalog":
        streams = [s for s in args.streams.split(",") if s]
        write_catalog(args.base_url, args.config, streams, args.out)
    else:
        read(args.config, args.out)


if __name__ == "__main__":
    main(sys.argv[1:])
