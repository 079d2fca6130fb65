#!/usr/bin/env python3
"""RTSP endpoint of the MediaMTX emulator (GStreamer RTSP server).

Usage: rtsp_server.py <host> <port>
stdin commands, one per line: "add <path> [videotestsrc properties]" (default "pattern=smpte"; e.g.
"pattern=smpte75 horizontal-speed=8" for a moving picture), "remove <path>".
stdout events: "ready", "read <path>" when a client starts reading, "unread <path>" when the media is released.
Each mount serves a live synthetic H.264 stream (videotestsrc), shared by all readers of the path.
"""
import os
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

PIPELINE = (
    "( videotestsrc is-live=true %s ! video/x-raw,width=320,height=240,framerate=15/1 "
    "! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 bitrate=500 "
    "! video/x-h264,profile=main ! rtph264pay name=pay0 pt=96 config-interval=1 )"
)


def emit(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main():
    Gst.init(None)
    host, port = sys.argv[1], sys.argv[2]
    server = GstRtspServer.RTSPServer()
    server.set_address(host)
    server.set_service(port)
    mounts = server.get_mount_points()
    loop = GLib.MainLoop()

    def make_factory(path, video):
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(PIPELINE % video)
        factory.set_shared(True)
        factory.set_eos_shutdown(False)

        def on_configure(_factory, media):
            emit("read " + path)
            media.connect("unprepared", lambda _m: emit("unread " + path))

        factory.connect("media-configure", on_configure)
        return factory

    pending = [b""]

    def apply(line):
        parts = line.strip().split(" ", 2)
        if len(parts) >= 2 and parts[0] == "add":
            video = parts[2] if len(parts) == 3 else "pattern=smpte"
            mounts.add_factory("/" + parts[1], make_factory(parts[1], video))
        elif len(parts) == 2 and parts[0] == "remove":
            mounts.remove_factory("/" + parts[1])

    def on_stdin(_source, _condition):
        # Read the raw descriptor, not sys.stdin: a buffered readline() would swallow every line already in the pipe
        # ("remove x" + "add x" written together when a path is recreated) while the watch fires only once, leaving
        # the later commands unapplied until more input arrives.
        data = os.read(fd, 65536)
        if not data:
            loop.quit()
            return False
        pending[0] += data
        *lines, pending[0] = pending[0].split(b"\n")
        for line in lines:
            apply(line.decode("utf-8", "replace"))
        return True

    if server.attach(None) == 0:
        emit("error cannot listen on %s:%s" % (host, port))
        sys.exit(1)
    fd = sys.stdin.fileno()
    GLib.io_add_watch(fd, GLib.IO_IN | GLib.IO_HUP, on_stdin)
    emit("ready")
    loop.run()


if __name__ == "__main__":
    main()
