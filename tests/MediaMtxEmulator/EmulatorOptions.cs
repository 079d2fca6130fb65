namespace MediaMtxEmulator;

/// <summary>Options of the MediaMTX emulator (see docs/mediamtx.md).</summary>
public sealed class EmulatorOptions
{
    /// <summary>Where the Control API listens, <c>host:port</c>; port 0 picks a free port. Default <c>127.0.0.1:9997</c>.</summary>
    public string ApiAddress { get; set; } = "127.0.0.1:9997";

    /// <summary>
    /// The RTSP address the emulated server announces (<c>rtspAddress</c>, and <c>$RTSP_PORT</c> in hooks). With
    /// <see cref="RtspServer"/> a real GStreamer RTSP server listens there; port 0 picks a free port.
    /// </summary>
    public string RtspAddress { get; set; } = ":8554";

    /// <summary>Working directory of the emulated server: relative <c>recordPath</c>s resolve against it.</summary>
    public string RecordingsRoot { get; set; } = Directory.GetCurrentDirectory();

    /// <summary>Media mode: a recording path with a publisher gets real fMP4 segments written by ffmpeg (testsrc2).</summary>
    public bool Media { get; set; }

    /// <summary>Serve a real RTSP endpoint per path with a publisher (GStreamer RTSP server; needs python3-gi).</summary>
    public bool RtspServer { get; set; }

    /// <summary>
    /// Per path, the GStreamer <c>videotestsrc</c> properties of its <see cref="RtspServer"/> stream, e.g.
    /// <c>pattern=smpte75</c> (still, no noise) or <c>pattern=smpte75 horizontal-speed=8</c> (moving, for motion
    /// detection). Paths not listed serve <c>pattern=smpte</c> (still bars with a noise patch).
    /// </summary>
    public IReadOnlyDictionary<string, string> RtspVideo { get; set; } = new Dictionary<string, string>();

    /// <summary>The ffmpeg executable used in media mode.</summary>
    public string FfmpegPath { get; set; } = "ffmpeg";

    /// <summary>The python3 with GStreamer bindings used for <see cref="RtspServer"/>.</summary>
    public string PythonPath { get; set; } = "/usr/bin/python3";

    /// <summary>The version <c>/v3/info</c> reports.</summary>
    public string Version { get; set; } = "v1.20.1";

    /// <summary>Seed <c>all_others: {}</c> like the shipped mediamtx.yml.</summary>
    public bool SeedAllOthers { get; set; } = true;

    /// <summary>
    /// When a <c>runOnInit</c> command starts (or a <c>runOnDemand</c> one on a read), attach a simulated publisher as
    /// if the command had connected, instead of only logging the hook. Default true.
    /// </summary>
    public bool SimulateHookPublishers { get; set; } = true;

    /// <summary>The server's local time zone (recording starts are reported in it). Default: the machine's.</summary>
    public TimeZoneInfo TimeZone { get; set; } = TimeZoneInfo.Local;

    /// <summary>Fake JWT verifier: bearer tokens accepted for the <c>api</c> action.</summary>
    public IReadOnlyList<string> ApiTokens { get; set; } = [];

    /// <summary>The clock (tests may pass a fake one). The side channel's <c>advance</c> adds to it.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// Delay between the 200 of a config mutation and its effect (MediaMTX v1.20.1 applies config asynchronously, so
    /// reads right after a write may show the old state). Default zero: deterministic.
    /// </summary>
    public TimeSpan ApplyDelay { get; set; }

    /// <summary>Delay of a 401 for wrong credentials (MediaMTX waits a random 0–4 s against brute force). Default zero.</summary>
    public TimeSpan AuthFailureDelay { get; set; }

    /// <summary>Internal users replacing the default ones (JSON array of AuthInternalUser), or null for the defaults.</summary>
    public string? AuthInternalUsersJson { get; set; }
}
