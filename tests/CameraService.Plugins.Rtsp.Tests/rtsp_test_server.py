#!/usr/bin/env python3
"""A real RTSP server for the rtsp plugin's tests (GStreamer RTSP server).

Usage: rtsp_test_server.py <host> <port> <path[,path...]> <codec h264|h265> <audio 0|1> <auth none|basic|digest> [user] [password]
Prints "ready" once it listens; serves a live videotestsrc 320x240 at 15 fps (and a 440 Hz AAC tone with audio=1) on
each path (a separate stream per path: perf/ serves many cameras from one process). Exits when stdin closes.
"""
import os
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
gi.require_version("GstRtsp", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402


def main():
    Gst.init(None)
    host, port, path, codec, audio, auth = sys.argv[1:7]
    user = sys.argv[7] if len(sys.argv) > 7 else ""
    password = sys.argv[8] if len(sys.argv) > 8 else ""
    if codec == "h265":
        video = "x265enc tune=zerolatency speed-preset=ultrafast key-int-max=15 bitrate=300 ! rtph265pay name=pay0 pt=96 config-interval=1"
    else:
        video = ("x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15 bitrate=300 ! video/x-h264,profile=main "
                 "! rtph264pay name=pay0 pt=96 config-interval=1")
    launch = ("( videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=15/1 ! " + video)
    if audio == "1":
        launch += (" audiotestsrc is-live=true wave=sine freq=440 ! audio/x-raw,rate=16000,channels=1 ! voaacenc bitrate=32000 "
                   "! rtpmp4gpay name=pay1 pt=97")
    launch += " )"

    server = GstRtspServer.RTSPServer()
    server.set_address(host)
    server.set_service(port)
    if auth != "none":
        rtsp_auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string("media.factory.role", "user")
        if auth == "digest":
            rtsp_auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
            rtsp_auth.add_digest(user, password, token)
        else:
            rtsp_auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), token)
        server.set_auth(rtsp_auth)
    for mount in path.split(","):
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(launch)
        factory.set_shared(True)
        if auth != "none":
            permissions = GstRtspServer.RTSPPermissions()
            permissions.add_permission_for_role("user", "media.factory.access", True)
            permissions.add_permission_for_role("user", "media.factory.construct", True)
            factory.set_permissions(permissions)
        server.get_mount_points().add_factory(mount, factory)
    loop = GLib.MainLoop()
    if server.attach(None) == 0:
        sys.stdout.write("error cannot listen on %s:%s\n" % (host, port))
        sys.exit(1)

    def on_stdin(_source, _condition):
        if not os.read(sys.stdin.fileno(), 4096):
            loop.quit()
            return False
        return True

    GLib.io_add_watch(sys.stdin.fileno(), GLib.IO_IN | GLib.IO_HUP, on_stdin)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    loop.run()


if __name__ == "__main__":
    main()
