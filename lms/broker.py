"""The embedded broker (no service needed on a laptop): kombu's filesystem transport,
with each message written atomically.

kombu creates a message's file and then writes into it, so a worker listing the folder at
that moment can read an empty file: it fails to decode it, stops ("Unrecoverable error")
and the message is gone (celery/kombu#1551). Here a message is written to a hidden
temporary name in the same folder and renamed into place, so a worker only ever sees
complete messages. The temporary name is one kombu's reader skips (it does not end in
`.<queue>.msg`).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class FilesystemChannel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = os.path.join(self.data_folder_out, f".{name}.partial")
        try:
            with open(partial, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(partial)
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class FilesystemTransport(filesystem.Transport):
    Channel = FilesystemChannel
