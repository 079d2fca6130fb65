using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;

namespace MediaMtxEmulator;

/// <summary>A simulated track of a publisher.</summary>
public sealed record TrackSpec(string Codec, int Width = 640, int Height = 480, string Profile = "Main", string Level = "3.1");

/// <summary>A would-be hook execution: what MediaMTX would have run, after shell splitting and $VAR expansion.</summary>
/// <param name="Time">When.</param>
/// <param name="Path">The path name.</param>
/// <param name="Hook">The hook (<c>runOnInit</c>, <c>runOnDemand</c>, <c>runOnRecordSegmentComplete</c>, …).</param>
/// <param name="Event"><c>start</c> or <c>stop</c> (SIGINT to the process group).</param>
/// <param name="Command">The configured command string.</param>
/// <param name="Argv">The argv MediaMTX would exec.</param>
/// <param name="Env">The hook environment (MTX_PATH, RTSP_PORT, …).</param>
public sealed record HookEvent(DateTimeOffset Time, string Path, string Hook, string Event, string Command, IReadOnlyList<string> Argv, IReadOnlyDictionary<string, string> Env);

/// <summary>An injected fault: matching /v3 requests answer with a status, are reset, or are delayed.</summary>
/// <param name="Route">A route prefix such as <c>/v3/config/paths/add</c>, or <c>*</c> for all.</param>
/// <param name="Mode"><c>status</c>, <c>reset</c> or <c>slow</c>.</param>
/// <param name="Status">The status of <c>status</c> mode (default 500).</param>
/// <param name="Body">The error text of <c>status</c> mode.</param>
/// <param name="Times">How many requests it hits; negative means until cleared.</param>
/// <param name="DelayMs">The delay of <c>slow</c> mode.</param>
public sealed record FaultRule(string Route, string Mode, int Status = 500, string Body = "terminated", int Times = -1, int DelayMs = 0);

internal sealed class Publisher(string id, IReadOnlyList<TrackSpec> tracks, DateTimeOffset created, bool fromHook)
{
    public string Id { get; } = id;

    public string ConnId { get; } = Guid.NewGuid().ToString();

    public IReadOnlyList<TrackSpec> Tracks { get; } = tracks;

    public DateTimeOffset Created { get; } = created;

    public bool FromHook { get; } = fromHook;
}

internal sealed record Reader(string Type, string Id, DateTimeOffset Created)
{
    public string ConnId { get; } = Guid.NewGuid().ToString();
}

internal sealed class RuntimePath(string name, string confName, JsonObject conf)
{
    public string Name { get; } = name;

    public string ConfName { get; set; } = confName;

    public JsonObject Conf { get; set; } = conf;

    public Publisher? Publisher { get; set; }

    public List<Reader> Readers { get; } = [];

    public long InboundBytes { get; set; }

    public long OutboundBytes { get; set; }

    public DateTimeOffset? AvailableTime { get; set; }

    public IRecorder? Recorder { get; set; }

    public bool OnDemandRunning { get; set; }

    public string S(string key) => Conf[key]?.GetValue<string>() ?? string.Empty;

    public bool B(string key) => Conf[key]?.GetValue<bool>() ?? false;
}

/// <summary>The emulated server's state: config, runtime paths, hooks, recorders, faults. All access under one lock.</summary>
internal sealed class EmulatorState : IDisposable
{
    private readonly EmulatorOptions _options;
    private readonly List<HookEvent> _hooks = [];
    private readonly List<FaultRule> _faults = [];
    private TimeSpan _advanced;

    private readonly Dictionary<string, Stack<string>> _rtspReaders = new(StringComparer.Ordinal);

    public EmulatorState(EmulatorOptions options, int rtspPort, RtspServerProcess? rtspServer)
    {
        _options = options;
        HttpAuth = new HttpAuthClient(this);
        RtspPort = rtspPort;
        RtspServer = rtspServer;
        if (rtspServer != null)
        {
            rtspServer.ClientEvent += OnRtspClient;
        }

        Config = Seed();
        Started = Now;
        CreateMissingPaths();
    }

    public Lock Gate { get; } = new();

    /// <summary>The external HTTP authenticator (used when the config says <c>authMethod: http</c>).</summary>
    public HttpAuthClient HttpAuth { get; }

    public ConfigStore Config { get; private set; }

    public Dictionary<string, RuntimePath> Runtime { get; } = new(StringComparer.Ordinal);

    public DateTimeOffset Started { get; private set; }

    public int RtspPort { get; }

    public EmulatorOptions Options => _options;

    public RtspServerProcess? RtspServer { get; }

    public DateTimeOffset Now => TimeZoneInfo.ConvertTime(_options.TimeProvider.GetUtcNow() + _advanced, _options.TimeZone);

    public IReadOnlyList<HookEvent> Hooks
    {
        get
        {
            lock (Gate)
            {
                return [.. _hooks];
            }
        }
    }

    private ConfigStore Seed()
    {
        var c = new ConfigStore(_options.SeedAllOthers);
        c.Global["rtspAddress"] = _options.RtspAddress.Contains(':', StringComparison.Ordinal) ? ":" + RtspPort.ToString(CultureInfo.InvariantCulture) : _options.RtspAddress;
        c.Global["apiAddress"] = _options.ApiAddress;
        if (_options.AuthInternalUsersJson != null)
        {
            c.Global["authInternalUsers"] = JsonNode.Parse(_options.AuthInternalUsersJson);
        }

        return c;
    }

    // ---- config commits (E3, E8 hot reload) ----

    private readonly Queue<ConfigStore> _pending = new();

    /// <summary>Accepted config changes not applied yet (<see cref="EmulatorOptions.ApplyDelay"/>); read under <see cref="Gate"/>.</summary>
    public int PendingChanges => _pending.Count;

    /// <summary>The config mutations build on: the newest accepted one, applied or not.</summary>
    public ConfigStore Latest => _pending.Count > 0 ? _pending.Last() : Config;

    /// <summary>
    /// Accepts a mutation: validated now (a 400 changes nothing); applied at once, or after
    /// <see cref="EmulatorOptions.ApplyDelay"/> like v1.20.1, which answers 200 before applying (reads stay stale meanwhile).
    /// </summary>
    public void Submit(ConfigStore next)
    {
        next.Validate();
        if (_options.ApplyDelay <= TimeSpan.Zero)
        {
            Commit(next);
            return;
        }

        _pending.Enqueue(next);
        _ = ApplyLaterAsync();
    }

    private async Task ApplyLaterAsync()
    {
        await Task.Delay(_options.ApplyDelay, _options.TimeProvider).ConfigureAwait(false);
        lock (Gate)
        {
            if (_pending.TryDequeue(out var next))
            {
                try
                {
                    Commit(next);
                }
                catch (ApiException)
                {
                    // Validated when accepted; a restart in between may make it moot.
                }
            }
        }
    }

    /// <summary>Validates and commits a new config, then brings the runtime paths in line (hot reload rules).</summary>
    public void Commit(ConfigStore next)
    {
        next.Validate();
        var old = Config;
        Config = next;
        var recreateAll = ConfSchema.PathManagerGlobals.Any(k => !JsonNode.DeepEquals(old.Global[k], next.Global[k]));
        foreach (var rp in Runtime.Values.ToList())
        {
            var confName = next.FindConf(rp.Name);
            if (confName is null)
            {
                ClosePath(rp);
                continue;
            }

            var conf = next.Effective(confName);
            if (recreateAll || !SameIgnoring(rp.Conf, conf, ConfSchema.HotReloadable))
            {
                ClosePath(rp);
                if (!ConfigStore.IsRegex(confName))
                {
                    CreatePath(rp.Name, confName, conf);
                }

                continue;
            }

            var recordChanged = !SameIgnoring(rp.Conf, conf, ConfSchema.PathTypes.Keys.Except(ConfSchema.RecordFields).ToHashSet());
            rp.ConfName = confName;
            rp.Conf = conf;
            if (recordChanged)
            {
                StopRecorder(rp);
                UpdateRecorder(rp);
            }
        }

        CreateMissingPaths();
    }

    /// <summary>A real restart or mediamtx.yml reload: API-made config is gone, processes and sessions are dropped.</summary>
    public void Restart()
    {
        _pending.Clear();
        foreach (var rp in Runtime.Values.ToList())
        {
            ClosePath(rp);
        }

        Config = Seed();
        Started = Now;
        CreateMissingPaths();
    }

    private static bool SameIgnoring(JsonObject a, JsonObject b, HashSet<string> ignore)
    {
        var keys = a.Select(p => p.Key).Union(b.Select(p => p.Key)).Where(k => k != "name" && !ignore.Contains(k));
        return keys.All(k => JsonNode.DeepEquals(a[k], b[k]));
    }

    private void CreateMissingPaths()
    {
        foreach (var name in Config.Paths.Keys)
        {
            if (!ConfigStore.IsRegex(name) && !Runtime.ContainsKey(name))
            {
                CreatePath(name, name, Config.Effective(name));
            }
        }
    }

    private RuntimePath CreatePath(string name, string confName, JsonObject conf)
    {
        var rp = new RuntimePath(name, confName, conf);
        Runtime[name] = rp;
        RtspServer?.AddMount(name, _options.RtspVideo.GetValueOrDefault(name));
        if (rp.S("runOnInit").Length > 0)
        {
            LogHook(rp, "runOnInit", "start", rp.S("runOnInit"), null);
            if (_options.SimulateHookPublishers)
            {
                StartHookPublisher(rp, rp.S("runOnInit"));
            }
        }
        else if (PulledSource(rp) is not null && !rp.B("sourceOnDemand") && _options.SimulateHookPublishers)
        {
            // A static source (source: rtsp://…) MediaMTX pulls at once: the path is ready as if the pull had connected.
            AttachPublisher(rp, [new TrackSpec("H264")], fromHook: true);
        }

        return rp;
    }

    private void ClosePath(RuntimePath rp)
    {
        StopRecorder(rp);
        DetachPublisher(rp);
        rp.Readers.Clear();
        if (rp.OnDemandRunning)
        {
            LogHook(rp, "runOnDemand", "stop", rp.S("runOnDemand"), null);
            rp.OnDemandRunning = false;
        }

        if (rp.S("runOnInit").Length > 0)
        {
            LogHook(rp, "runOnInit", "stop", rp.S("runOnInit"), null);
        }

        Runtime.Remove(rp.Name);
        RtspServer?.RemoveMount(rp.Name);
    }

    /// <summary>A real RTSP client started or stopped reading a path: it counts as an rtspSession reader.</summary>
    private void OnRtspClient(string ev, string path)
    {
        lock (Gate)
        {
            try
            {
                if (ev == "read")
                {
                    var id = AddReader(path, "rtspSession");
                    if (!_rtspReaders.TryGetValue(path, out var ids))
                    {
                        _rtspReaders[path] = ids = new Stack<string>();
                    }

                    ids.Push(id);
                }
                else if (_rtspReaders.TryGetValue(path, out var ids) && ids.Count > 0)
                {
                    RemoveReader(path, ids.Pop());
                }
            }
            catch (ApiException)
            {
                // The path went away meanwhile; nothing to count.
            }
        }
    }

    // ---- publishers and readers (side channel) ----

    /// <summary>Finds or (for regex configs) materializes the runtime path of a name.</summary>
    public RuntimePath GetOrCreateDynamic(string name)
    {
        if (ConfigStore.PathNameProblem(name) is { } problem)
        {
            throw new ApiException(400, $"invalid path name: {problem} ({name})");
        }

        if (Runtime.TryGetValue(name, out var rp))
        {
            return rp;
        }

        var confName = Config.FindConf(name) ?? throw new ApiException(404, $"path '{name}' is not configured");
        return CreatePath(name, confName, Config.Effective(confName));
    }

    public void Publish(string name, IReadOnlyList<TrackSpec> tracks)
    {
        var rp = GetOrCreateDynamic(name);
        if (rp.Publisher != null)
        {
            if (!rp.B("overridePublisher"))
            {
                throw new ApiException(400, "someone is already publishing to path '" + name + "'");
            }

            DetachPublisher(rp);
        }

        AttachPublisher(rp, tracks, fromHook: false);
    }

    public void Unpublish(string name)
    {
        if (!Runtime.TryGetValue(name, out var rp) || rp.Publisher is null)
        {
            throw new ApiException(404, "no publisher on path '" + name + "'");
        }

        DetachPublisher(rp);
        RemoveIfIdleDynamic(rp);
    }

    public string AddReader(string name, string type)
    {
        var rp = GetOrCreateDynamic(name);
        var id = Guid.NewGuid().ToString();
        rp.Readers.Add(new Reader(type, id, Now));
        if (rp.Publisher is null && rp.S("runOnDemand").Length > 0 && !rp.OnDemandRunning)
        {
            rp.OnDemandRunning = true;
            LogHook(rp, "runOnDemand", "start", rp.S("runOnDemand"), new Dictionary<string, string> { ["MTX_QUERY"] = string.Empty });
            if (_options.SimulateHookPublishers)
            {
                StartHookPublisher(rp, rp.S("runOnDemand"));
            }
        }

        return id;
    }

    public void RemoveReader(string name, string id)
    {
        if (!Runtime.TryGetValue(name, out var rp) || rp.Readers.RemoveAll(r => r.Id == id) == 0)
        {
            throw new ApiException(404, "reader not found");
        }

        if (rp.Readers.Count == 0 && rp.OnDemandRunning)
        {
            // Upstream waits runOnDemandCloseAfter; the emulator stops at once (documented).
            rp.OnDemandRunning = false;
            LogHook(rp, "runOnDemand", "stop", rp.S("runOnDemand"), null);
            if (rp.S("runOnUnDemand").Length > 0)
            {
                LogHook(rp, "runOnUnDemand", "start", rp.S("runOnUnDemand"), null);
            }

            if (rp.Publisher is { FromHook: true })
            {
                DetachPublisher(rp);
            }
        }

        RemoveIfIdleDynamic(rp);
    }

    private void RemoveIfIdleDynamic(RuntimePath rp)
    {
        if (ConfigStore.IsRegex(rp.ConfName) && rp.Publisher is null && rp.Readers.Count == 0)
        {
            Runtime.Remove(rp.Name);
            RtspServer?.RemoveMount(rp.Name);
        }
    }

    /// <summary>
    /// The hook's process connects and publishes. With <c>authMethod: http</c> the publish is first authenticated
    /// with the credentials of the RTSP URL in the command, as MediaMTX's RTSP server would (asynchronously, like a
    /// real connection); a denied publisher never attaches (recorded as a <c>publish_denied</c> hook event).
    /// </summary>
    private void StartHookPublisher(RuntimePath rp, string command)
    {
        if (!HttpAuth.Enabled)
        {
            AttachPublisher(rp, [new TrackSpec("H264")], fromHook: true);
            return;
        }

        var credentials = HttpAuthClient.FromCommand(command);
        _ = Task.Run(async () =>
        {
            var allowed = await HttpAuth.CheckAsync("publish", rp.Name, "rtsp", credentials, string.Empty, IPAddress.Loopback, CancellationToken.None).ConfigureAwait(false);
            lock (Gate)
            {
                if (!Runtime.TryGetValue(rp.Name, out var current) || !ReferenceEquals(current, rp) || rp.Publisher is not null)
                {
                    return;
                }

                if (allowed)
                {
                    AttachPublisher(rp, [new TrackSpec("H264")], fromHook: true);
                }
                else
                {
                    LogHook(rp, "publisher", "publish_denied", command, null);
                }
            }
        });
    }

    private void AttachPublisher(RuntimePath rp, IReadOnlyList<TrackSpec> tracks, bool fromHook)
    {
        rp.Publisher = new Publisher(Guid.NewGuid().ToString(), tracks, Now, fromHook);
        rp.AvailableTime = Now;
        if (rp.S("runOnAvailable").Length > 0)
        {
            LogHook(rp, "runOnAvailable", "start", rp.S("runOnAvailable"), new Dictionary<string, string>
            {
                ["MTX_SOURCE_TYPE"] = "rtspSession",
                ["MTX_SOURCE_ID"] = rp.Publisher.Id,
                ["MTX_QUERY"] = string.Empty,
            });
        }

        UpdateRecorder(rp);
    }

    /// <summary>Kicking the publisher's session: the path becomes unavailable (a hook publisher is not re-attached).</summary>
    public void KickPublisher(RuntimePath rp) => DetachPublisher(rp);

    private void DetachPublisher(RuntimePath rp)
    {
        if (rp.Publisher is null)
        {
            return;
        }

        StopRecorder(rp);
        rp.Publisher = null;
        rp.AvailableTime = null;
        if (rp.S("runOnUnavailable").Length > 0)
        {
            LogHook(rp, "runOnUnavailable", "start", rp.S("runOnUnavailable"), null);
        }
    }

    // ---- recording ----

    /// <summary>The URL of a path's static RTSP source (MediaMTX pulls it), or null for a publisher path.</summary>
    public static string? PulledSource(RuntimePath rp) =>
        rp.S("source") is { } s && (s.StartsWith("rtsp://", StringComparison.Ordinal) || s.StartsWith("rtsps://", StringComparison.Ordinal)) ? s : null;

    /// <summary>
    /// The audio codec a publisher path's command publishes (the ffmpeg encoder after <c>-c:a</c>; <c>copy</c> of a network
    /// track counts as AAC), or null when it publishes none (<c>-an</c>, no <c>-c:a</c>, no command). Media mode records it,
    /// as MediaMTX records every track of a path.
    /// </summary>
    public static string? PublishedAudioCodec(RuntimePath rp)
    {
        var command = rp.S("runOnInit").Length > 0 ? rp.S("runOnInit") : rp.S("runOnDemand");
        IReadOnlyList<string> argv;
        try
        {
            argv = GoFormat.ShellSplit(command);
        }
        catch (FormatException)
        {
            return null;
        }

        var at = argv.ToList().LastIndexOf("-c:a");
        return at < 0 || at == argv.Count - 1 || argv.Contains("-an") ? null
            : argv[at + 1] is "libopus" or "opus" ? "libopus" : "aac";
    }

    public RecordPath RecordPathOf(RuntimePath rp) => new(rp.S("recordPath"), rp.S("recordFormat"), _options.RecordingsRoot);

    private void UpdateRecorder(RuntimePath rp)
    {
        var want = rp.B("record") && rp.Publisher != null;
        if (want && rp.Recorder is null)
        {
            _ = GoFormat.TryParseDuration(rp.S("recordSegmentDuration"), out var seg);
            rp.Recorder = _options.Media
                ? new MediaRecorder(this, rp.Name, RecordPathOf(rp), seg, PulledSource(rp), PublishedAudioCodec(rp))
                : new SimulatedRecorder(this, rp.Name, RecordPathOf(rp), seg);
            rp.Recorder.Start();
        }
        else if (!want)
        {
            StopRecorder(rp);
        }
    }

    private static void StopRecorder(RuntimePath rp)
    {
        rp.Recorder?.Stop();
        rp.Recorder = null;
    }

    /// <summary>Called by recorders (under the lock) when a segment file is created or completed.</summary>
    public void SegmentEvent(string pathName, string hook, string file, TimeSpan? duration)
    {
        if (!Runtime.TryGetValue(pathName, out var rp) || rp.S(hook).Length == 0)
        {
            return;
        }

        var env = new Dictionary<string, string> { ["MTX_SEGMENT_PATH"] = file };
        if (duration is { } d)
        {
            env["MTX_SEGMENT_DURATION"] = d.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
        }

        LogHook(rp, hook, "start", rp.S(hook), env);
    }

    /// <summary>The side channel's clock step: grows counters, cuts segments, runs the recordDeleteAfter cleaner.</summary>
    public void Advance(TimeSpan by)
    {
        _advanced += by;
        foreach (var rp in Runtime.Values)
        {
            if (rp.Publisher != null)
            {
                // A nominal 1 Mbit/s stream.
                var bytes = (long)(by.TotalSeconds * 125_000);
                rp.InboundBytes += bytes;
                rp.OutboundBytes += bytes * rp.Readers.Count;
            }

            rp.Recorder?.Advance(Now);
        }

        RunCleaner();
    }

    private void RunCleaner()
    {
        foreach (var (name, _) in Config.Paths)
        {
            var conf = Config.Effective(name);
            _ = GoFormat.TryParseDuration(conf["recordDeleteAfter"]!.GetValue<string>(), out var deleteAfter);
            if (deleteAfter == TimeSpan.Zero)
            {
                continue;
            }

            var rp = new RecordPath(conf["recordPath"]!.GetValue<string>(), conf["recordFormat"]!.GetValue<string>(), _options.RecordingsRoot);
            foreach (var (file, _, start) in Recordings.Scan(rp, ConfigStore.IsRegex(name) ? null : name, _options.TimeZone))
            {
                if (start < Now - deleteAfter)
                {
                    File.Delete(file);
                }
            }
        }
    }

    // ---- hooks and faults ----

    private void LogHook(RuntimePath rp, string hook, string ev, string command, Dictionary<string, string>? extra)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["MTX_PATH"] = rp.Name,
            ["RTSP_PATH"] = rp.Name,
            ["RTSP_PORT"] = RtspPort.ToString(CultureInfo.InvariantCulture),
        };
        var re = ConfigStore.ConfRegex(rp.ConfName);
        if (re != null)
        {
            var m = re.Match(rp.Name);
            for (var i = 1; i < m.Groups.Count; i++)
            {
                env["G" + i.ToString(CultureInfo.InvariantCulture)] = m.Groups[i].Value;
            }
        }

        foreach (var (k, v) in extra ?? [])
        {
            env[k] = v;
        }

        IReadOnlyList<string> argv;
        try
        {
            argv = GoFormat.ShellSplit(command).Select(a => GoFormat.Expand(a, k => env.TryGetValue(k, out var v) ? v : Environment.GetEnvironmentVariable(k))).ToList();
        }
        catch (FormatException)
        {
            argv = [];
        }

        _hooks.Add(new HookEvent(Now, rp.Name, hook, ev, command, argv, env));
    }

    public void ClearHooks()
    {
        lock (Gate)
        {
            _hooks.Clear();
        }
    }

    public void AddFault(FaultRule rule)
    {
        lock (Gate)
        {
            _faults.Add(rule);
        }
    }

    public void ClearFaults()
    {
        lock (Gate)
        {
            _faults.Clear();
        }
    }

    /// <summary>Takes the first fault matching the route (and counts it down).</summary>
    public FaultRule? TakeFault(string route)
    {
        lock (Gate)
        {
            for (var i = 0; i < _faults.Count; i++)
            {
                var f = _faults[i];
                if (f.Route == "*" || route.StartsWith(f.Route, StringComparison.Ordinal))
                {
                    if (f.Times > 0)
                    {
                        if (f.Times == 1)
                        {
                            _faults.RemoveAt(i);
                        }
                        else
                        {
                            _faults[i] = f with { Times = f.Times - 1 };
                        }
                    }

                    return f;
                }
            }

            return null;
        }
    }

    public void Dispose()
    {
        HttpAuth.Dispose();
        lock (Gate)
        {
            foreach (var rp in Runtime.Values)
            {
                rp.Recorder?.Stop();
                rp.Recorder = null;
            }
        }

        RtspServer?.Dispose();
    }
}
