using System.Text.Json.Nodes;

namespace MediaMtxEmulator;

/// <summary>
/// E9: the session and connection registries (rtspconns, rtspsessions, webrtcsessions, hlsmuxers, hlssessions, and the
/// always-empty rtmpconns/srtconns), derived from the runtime model: a side-channel publisher is an RTSP session in
/// state publish; readers are sessions of their type. Routes exist only while the protocol is enabled in the global
/// config (otherwise gin's plain 404). Counters are the simulation's.
/// </summary>
internal static class Sessions
{
    private sealed record Entry(string Id, DateTimeOffset Created, JsonObject Item, Action? Kick);

    private sealed record Registry(string Prefix, string Flag, string NotFound, bool Kickable, bool UuidIds, Func<EmulatorState, List<Entry>> Items);

    private static readonly Registry[] Registries =
    [
        new("/v3/rtspconns/", "rtsp", "connection not found", false, true, RtspConns),
        new("/v3/rtspsessions/", "rtsp", "session not found", true, true, RtspSessions),
        new("/v3/webrtcsessions/", "webrtc", "session not found", true, true, s => Readers(s, "webRTCSession", WebRtcSession)),
        new("/v3/hlssessions/", "hls", "session not found", true, true, s => Readers(s, "hlsSession", HlsSession)),
        new("/v3/hlsmuxers/", "hls", "muxer not found", false, false, HlsMuxers),
        new("/v3/rtmpconns/", "rtmp", "connection not found", true, true, _ => []),
        new("/v3/srtconns/", "srt", "connection not found", true, true, _ => []),
    ];

    /// <summary>Answers a registry route, or null when the route is not one (or its protocol is off).</summary>
    public static (int Status, JsonNode? Body)? Route(EmulatorState state, string method, string path, Func<List<JsonNode>, JsonObject> paginate)
    {
        foreach (var r in Registries)
        {
            if (!path.StartsWith(r.Prefix, StringComparison.Ordinal) || state.Config.Global[r.Flag]?.GetValue<bool>() != true)
            {
                continue;
            }

            var rest = path[r.Prefix.Length..];
            if (method == "GET" && rest == "list")
            {
                return (200, paginate(r.Items(state).OrderBy(e => e.Created).Select(e => (JsonNode)e.Item).ToList()));
            }

            var isGet = method == "GET" && rest.StartsWith("get/", StringComparison.Ordinal);
            var isKick = method == "POST" && r.Kickable && rest.StartsWith("kick/", StringComparison.Ordinal);
            if (!isGet && !isKick)
            {
                return null;
            }

            var id = Uri.UnescapeDataString(rest[(rest.IndexOf('/', StringComparison.Ordinal) + 1)..]);
            if (r.UuidIds && UuidProblem(id) is { } problem)
            {
                throw new ApiException(400, problem);
            }

            // hlsmuxers/get/*name goes through paramName (api.go:41-49, api_hls.go:34-38): an empty name is a 400.
            if (!r.UuidIds && id.Length == 0)
            {
                throw new ApiException(400, "invalid name");
            }

            var entry = r.Items(state).FirstOrDefault(e => e.Id == id) ?? throw new ApiException(404, r.NotFound);
            if (isGet)
            {
                return (200, entry.Item);
            }

            entry.Kick?.Invoke();
            return (200, new JsonObject { ["status"] = "ok" });
        }

        return null;
    }

    /// <summary>google/uuid Parse errors.</summary>
    private static string? UuidProblem(string id)
    {
        if (id.Length is not (32 or 36 or 38 or 45))
        {
            return $"invalid UUID length: {id.Length}";
        }

        return Guid.TryParse(id.StartsWith("urn:uuid:", StringComparison.Ordinal) ? id[9..] : id, out _) ? null : "invalid UUID format";
    }

    private static List<Entry> RtspConns(EmulatorState s)
    {
        var list = new List<Entry>();
        foreach (var rp in s.Runtime.Values)
        {
            if (rp.Publisher is { } p)
            {
                list.Add(new Entry(p.ConnId, p.Created, Conn(p.ConnId, p.Created, p.Id, rp.InboundBytes, 0), null));
            }

            foreach (var r in rp.Readers.Where(r => r.Type == "rtspSession"))
            {
                list.Add(new Entry(r.ConnId, r.Created, Conn(r.ConnId, r.Created, r.Id, 0, PerReader(rp)), null));
            }
        }

        return list;
    }

    private static JsonObject Conn(string id, DateTimeOffset created, string session, long inBytes, long outBytes) => new()
    {
        ["id"] = id,
        ["created"] = GoFormat.FormatTime(created),
        ["remoteAddr"] = "127.0.0.1:40000",
        ["session"] = session,
        ["tunnel"] = "none",
        ["inboundBytes"] = inBytes,
        ["outboundBytes"] = outBytes,
        ["bytesReceived"] = inBytes,
        ["bytesSent"] = outBytes,
    };

    private static List<Entry> RtspSessions(EmulatorState s)
    {
        var list = new List<Entry>();
        foreach (var rp in s.Runtime.Values)
        {
            if (rp.Publisher is { } p)
            {
                list.Add(new Entry(p.Id, p.Created, RtspSession(p.Id, p.Created, p.ConnId, rp.Name, "publish", rp.InboundBytes, 0), () => s.KickPublisher(rp)));
            }

            foreach (var r in rp.Readers.Where(r => r.Type == "rtspSession").ToList())
            {
                list.Add(new Entry(r.Id, r.Created, RtspSession(r.Id, r.Created, r.ConnId, rp.Name, "read", 0, PerReader(rp)), () => s.RemoveReader(rp.Name, r.Id)));
            }
        }

        return list;
    }

    private static JsonObject RtspSession(string id, DateTimeOffset created, string conn, string path, string state, long inBytes, long outBytes)
    {
        var o = new JsonObject
        {
            ["id"] = id,
            ["created"] = GoFormat.FormatTime(created),
            ["remoteAddr"] = "127.0.0.1:40000",
            ["state"] = state,
            ["path"] = path,
            ["query"] = string.Empty,
            ["user"] = string.Empty,
            ["userAgent"] = "Lavf59.27.100",
            ["transport"] = "TCP",
            ["profile"] = "AVP",
            ["conns"] = new JsonArray(conn),
            ["inboundBytes"] = inBytes,
            ["outboundBytes"] = outBytes,
            ["bytesReceived"] = inBytes,
            ["bytesSent"] = outBytes,
        };
        foreach (var k in new[]
        {
            "inboundRTPPackets", "inboundRTPPacketsLost", "inboundRTPPacketsInError", "inboundRTPPacketsJitter", "inboundRTCPPackets",
            "inboundRTCPPacketsInError", "outboundRTPPackets", "outboundRTPPacketsReportedLost", "outboundRTPPacketsDiscarded",
            "outboundRTCPPackets", "rtpPacketsReceived", "rtpPacketsSent", "rtpPacketsLost", "rtpPacketsInError", "rtpPacketsJitter",
            "rtcpPacketsReceived", "rtcpPacketsSent", "rtcpPacketsInError",
        })
        {
            o[k] = 0;
        }

        return o;
    }

    private static List<Entry> Readers(EmulatorState s, string type, Func<RuntimePath, Reader, JsonObject> item) =>
        s.Runtime.Values
            .SelectMany(rp => rp.Readers.Where(r => r.Type == type).ToList().Select(r => new Entry(r.Id, r.Created, item(rp, r), () => s.RemoveReader(rp.Name, r.Id))))
            .ToList();

    private static JsonObject WebRtcSession(RuntimePath rp, Reader r)
    {
        var o = new JsonObject
        {
            ["id"] = r.Id,
            ["created"] = GoFormat.FormatTime(r.Created),
            ["remoteAddr"] = "127.0.0.1:40000",
            ["peerConnectionEstablished"] = true,
            ["localCandidate"] = "host/udp/127.0.0.1/8189",
            ["remoteCandidate"] = "host/udp/127.0.0.1/50000",
            ["state"] = "read",
            ["path"] = rp.Name,
            ["query"] = string.Empty,
            ["user"] = string.Empty,
            ["userAgent"] = "Mozilla/5.0",
            ["outboundBytes"] = PerReader(rp),
            ["bytesSent"] = PerReader(rp),
        };
        foreach (var k in new[]
        {
            "inboundBytes", "inboundRTPPackets", "inboundRTPPacketsLost", "inboundRTPPacketsJitter", "inboundRTCPPackets",
            "outboundRTPPackets", "outboundRTCPPackets", "outboundFramesDiscarded", "bytesReceived", "rtpPacketsReceived",
            "rtpPacketsSent", "rtpPacketsLost", "rtpPacketsJitter", "rtcpPacketsReceived", "rtcpPacketsSent",
        })
        {
            o[k] = 0;
        }

        return o;
    }

    private static JsonObject HlsSession(RuntimePath rp, Reader r) => new()
    {
        ["id"] = r.Id,
        ["created"] = GoFormat.FormatTime(r.Created),
        ["remoteAddr"] = "127.0.0.1:40000",
        ["path"] = rp.Name,
        ["query"] = string.Empty,
        ["user"] = string.Empty,
        ["userAgent"] = "Mozilla/5.0",
        ["isCDN"] = false,
        ["outboundBytes"] = PerReader(rp),
    };

    private static List<Entry> HlsMuxers(EmulatorState s) =>
        s.Runtime.Values
            .Where(rp => rp.Readers.Any(r => r.Type == "hlsSession"))
            .Select(rp =>
            {
                var created = rp.Readers.Where(r => r.Type == "hlsSession").Min(r => r.Created);
                return new Entry(rp.Name, created, new JsonObject
                {
                    ["path"] = rp.Name,
                    ["created"] = GoFormat.FormatTime(created),
                    ["lastRequest"] = GoFormat.FormatTime(s.Now),
                    ["outboundBytes"] = PerReader(rp),
                    ["outboundFramesDiscarded"] = 0,
                    ["bytesSent"] = PerReader(rp),
                }, null);
            })
            .ToList();

    private static long PerReader(RuntimePath rp) => rp.Readers.Count == 0 ? 0 : rp.OutboundBytes / rp.Readers.Count;
}
