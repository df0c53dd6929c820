"""botocore's data loader, made cheaper for a cold start (issue 12: Lambda bills INIT).

The first client of a process reads botocore's JSON models. Two costs there are not needed:
- every object of every file is decoded into an `OrderedDict` (the 1.2 MB endpoints file takes 23 ms);
  dicts keep insertion order anyway, and msgspec decodes the same file in 7 ms;
- before loading a model, botocore lists every service directory and every API version in it (~400
  services, thousands of `stat` calls, ~18 ms) only to check that the service name is known. The names of
  the service directories give the same answer; a name with no model still fails when it is loaded.

Only public methods of botocore's loader are overridden, so a runtime's botocore of another version keeps
working.
"""

from __future__ import annotations

import gzip
import os
from typing import Any

import botocore.session
import msgspec
from botocore.loaders import JSONFileLoader, Loader


class _MsgspecJsonFiles(JSONFileLoader):
    def load_file(self, file_path: str) -> Any:
        for suffix in (".json", ".json.gz"):
            path = file_path + suffix
            if os.path.isfile(path):
                with open(path, "rb") as file:
                    data = file.read()
                return msgspec.json.decode(gzip.decompress(data) if suffix.endswith(".gz") else data)
        return None


class ModelLoader(Loader):
    FILE_LOADER_CLASS = _MsgspecJsonFiles

    def list_available_services(self, type_name: str) -> list[str]:
        names: set[str] = set()
        for directory in self.search_paths:
            if os.path.isdir(directory):
                names.update(os.listdir(directory))
        return sorted(names)


def new_session() -> botocore.session.Session:
    """A botocore Session that reads its models through `ModelLoader`, with the search path
    (`AWS_DATA_PATH`) botocore's own loader would have."""
    session = botocore.session.get_session()
    data_path: str | None = session.get_config_variable("data_path")
    extra = None
    if data_path:
        extra = [os.path.expanduser(os.path.expandvars(path)) for path in data_path.split(os.pathsep)]
    session.register_component("data_loader", ModelLoader(extra_search_paths=extra))
    return session
