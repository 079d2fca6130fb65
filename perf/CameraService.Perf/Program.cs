using System.CommandLine;
using System.Net;
using CameraService.Perf.Echo;
using CameraService.Perf.Results;
using CameraService.Perf.Scenarios;
using CameraService.Perf.Targets;

namespace CameraService.Perf;

/// <summary>The <c>CameraService.Perf</c> command line: one verb per scenario, plus <c>echo-server</c>.</summary>
internal static class Program
{
    /// <summary>Exit codes: 0 completed without errors, 1 the run could not be done, 2 completed with errors.</summary>
    public const int ExitOk = 0;
    public const int ExitFailed = 1;
    public const int ExitErrors = 2;

    private static readonly Dictionary<string, string> Descriptions = new(StringComparer.Ordinal)
    {
        ["baseline"] = "one client calls each method once per second: latency per method",
        ["throughput"] = "N closed-loop clients (default 100), ping + get_camera_list + get_camera_status: req/s and latency",
        ["load"] = "N sessions (default 1,000) at an offered open-loop rate (default 1,000 req/s): p50/p95/p99 per method",
        ["connections"] = "ramp to N authenticated sessions (default 10,000), hold with light traffic: failures, RSS per session",
        ["stress"] = "raise the offered rate until p95 > 100 ms or errors > 0.1 %, then a recovery step",
        ["endurance"] = "a fixed rate for N minutes (default 10): latency drift, RSS and handle growth",
        ["fanout"] = "N subscribed sessions (default 1,000), events triggered: notification latency p50/p99",
        ["discovery"] = "5/10/20 fake V4L2 cameras plugged at once: time until all are announced and listed",
        ["hotplug"] = "one fake V4L2 camera plugged/unplugged N times: node → camera_status_update latency",
        ["control"] = "start_recording / stop_recording / take_snapshot on one camera: p95",
        ["files"] = "N generated recordings (default 100,000): list/info/download latency, large download MB/s",
        ["limit"] = "the throughput load against the bundled Kestrel echo server (and the service, if given): the ceiling and the ratio",
        ["console"] = "the web console in headless Chromium, fresh context each time: first paint, sign-in, first live frame",
        ["fleet"] = "fleet mode on a real nats-server: gateway overhead vs a real node, get_camera_list and event fan-out over simulated nodes, gateway CPU by nodes × clients",
        ["progress"] = "N sessions (default 1,000) subscribed to recording.progress under the open-loop load: API p95 without and with every camera recording (issue 21)",
        ["rtsp"] = "network cameras from a GStreamer RTSP server on 127.0.0.1: add_external_stream → CONNECTED p50/p95 (--iterations, default 20), then the cameras held (--cameras, default 20; --duration s, default 60), then all recording (--warmup s unmeasured first): service CPU, ffmpeg/MediaMTX apart",
        ["motion"] = "motion detection of one camera: a 640x480 30 fps H.264 stream decoded to 5 fps grey frames by the service's ffmpeg reader arguments, each through the service's MotionDetector (--duration s, default 60): CPU % of one core",
    };

    // Which scenario knobs each verb takes (the rest are not offered, so a typo is an error, not ignored).
    private static readonly Dictionary<string, string[]> Knobs = new(StringComparer.Ordinal)
    {
        ["baseline"] = ["--duration", "--methods"],
        ["throughput"] = ["--clients", "--duration", "--warmup", "--mix"],
        ["limit"] = ["--clients", "--duration", "--warmup", "--mix"],
        ["load"] = ["--sessions", "--rate", "--duration", "--connect-rate", "--mix", "--max-in-flight"],
        ["connections"] = ["--sessions", "--connect-rate", "--hold", "--rate", "--mix"],
        ["stress"] = ["--sessions", "--start-rate", "--rate-factor", "--step", "--max-steps", "--p95-limit", "--error-limit", "--mix"],
        ["endurance"] = ["--minutes", "--window", "--sessions", "--rate", "--mix"],
        ["fanout"] = ["--sessions", "--events", "--warmup-events", "--event-spacing", "--trigger", "--trigger-methods", "--notification", "--topics"],
        ["discovery"] = ["--cameras"],
        ["hotplug"] = ["--plugs"],
        ["control"] = ["--iterations", "--hold"],
        ["files"] = ["--file-count", "--clients", "--duration", "--downloads", "--big-file-mib"],
        ["console"] = ["--iterations"],
        ["fleet"] = ["--nodes", "--client-counts", "--cameras-per-node", "--clients", "--duration", "--warmup", "--rate"],
        ["rtsp"] = ["--iterations", "--cameras", "--duration", "--warmup"],
        ["motion"] = ["--duration"],
        ["progress"] = ["--sessions", "--rate", "--duration", "--mix", "--max-in-flight"],
    };

    public static async Task<int> Main(string[] args)
    {
        var root = BuildCommandLine(Console.Out, Console.Error, string.Join(' ', args));
        return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
    }

    internal static RootCommand BuildCommandLine(TextWriter output, TextWriter error, string commandLine)
    {
        var root = new RootCommand("camera-service load and latency harness (issue 9). Loads 127.0.0.1 only.");
        foreach (var scenario in PerfRunner.All)
        {
            root.Subcommands.Add(BuildScenarioCommand(scenario, output, error, commandLine));
        }

        var port = new Option<int>("--port") { Description = "port on 127.0.0.1 (0 = any free port)", DefaultValueFactory = _ => 0 };
        var inline = new Option<bool>("--inline") { Description = "Kestrel UnsafePreferInlineScheduling" };
        var exitOnStdinClose = new Option<bool>("--exit-on-stdin-close") { Description = "also stop when stdin closes (the harness's child-process mode)" };
        var echo = new Command("echo-server", "run the `limit` echo server until SIGTERM/Ctrl+C") { port, inline, exitOnStdinClose };
        echo.SetAction(async (parse, ct) =>
        {
            await using var server = await EchoServer.StartAsync(new EchoServerOptions(parse.GetValue(port), parse.GetValue(inline)), ct).ConfigureAwait(false);
            await output.WriteLineAsync($"echo-server listening on {server.WebSocketUri} (pid {Environment.ProcessId})").ConfigureAwait(false);
            await output.FlushAsync(ct).ConfigureAwait(false);
            // Stop on SIGTERM/Ctrl+C, or (child-process mode) when the parent closes our stdin: it died or is done.
            var stdinClosed = parse.GetValue(exitOnStdinClose) ? Task.Run(() => Console.In.ReadToEnd(), CancellationToken.None) : Task.Delay(Timeout.Infinite, ct);
            await Task.WhenAny(stdinClosed, Task.Delay(Timeout.Infinite, ct)).ConfigureAwait(false);
            return ExitOk;
        });
        root.Subcommands.Add(echo);

        var historyFile = new Option<string?>("--file") { Description = "the history file (default <repo>/perf/history.csv)" };
        var trend = new Command("trend", "print perf/history.csv (runs made with --record) as a markdown trend table: first, previous and latest run per scenario and phase") { historyFile };
        trend.SetAction(async (parse, ct) =>
        {
            var file = parse.GetValue(historyFile) ?? Path.Combine(ResultWriter.FindRepoRoot() ?? Environment.CurrentDirectory, "perf", History.FileName);
            await output.WriteAsync(History.Trend(file)).ConfigureAwait(false);
            return ExitOk;
        });
        root.Subcommands.Add(trend);
        root.Subcommands.Add(Chaos.ChaosCommand.Build(output, error, commandLine));
        return root;
    }

    private static Command BuildScenarioCommand(IScenario scenario, TextWriter output, TextWriter error, string commandLine)
    {
        var command = new Command(scenario.Name, Descriptions[scenario.Name]);
        var common = new CommonOptions();
        common.AddTo(command);
        var knobs = new KnobOptions(Knobs[scenario.Name]);
        knobs.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            try
            {
                var options = common.Read(parse, scenario.Name, commandLine);
                var settings = knobs.Read(parse);
                var (result, _) = await PerfRunner.RunAsync(scenario, options, settings, output, ct).ConfigureAwait(false);
                if (result.TotalErrors > 0)
                {
                    await error.WriteLineAsync($"{scenario.Name}: completed with {result.TotalErrors} errors (see the table)").ConfigureAwait(false);
                    return ExitErrors;
                }

                return ExitOk;
            }
            catch (PerfException ex)
            {
                await error.WriteLineAsync($"{scenario.Name}: {ex.Message}").ConfigureAwait(false);
                return ExitFailed;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                await error.WriteLineAsync($"{scenario.Name}: cancelled; no results written").ConfigureAwait(false);
                return ExitFailed;
            }
        });
        return command;
    }

    /// <summary>Target, service launch and output options (every scenario verb).</summary>
    private sealed class CommonOptions
    {
        private readonly Option<string?> _url = new("--url") { Description = "WebSocket URL of any server speaking the contract (loopback only), e.g. ws://127.0.0.1:8002/ws" };
        private readonly Option<string?> _token = new("--token") { Description = "token for authenticate {auth_token} (JWT or API key)" };
        private readonly Option<string?> _tokenFile = new("--token-file") { Description = "read the token from this file" };
        private readonly Option<int?> _serverPid = new("--server-pid") { Description = "pid of the server behind --url, to sample its CPU/RSS/fds from /proc" };
        private readonly Option<bool> _startService = new("--start-service") { Description = "start host/bin/Release/net10.0/camera-service.dll on a free port with temp state/storage and mint an admin token" };
        private readonly Option<bool> _echo = new("--echo") { Description = "target the bundled echo server (the `limit` reference)" };
        private readonly Option<bool> _echoInProcess = new("--echo-in-process") { Description = "run the echo server inside this process (default: a child process)" };
        private readonly Option<bool> _echoInline = new("--echo-inline") { Description = "echo server with Kestrel UnsafePreferInlineScheduling" };
        private readonly Option<string?> _serviceDll = new("--service-dll") { Description = $"the service to start (default <repo>/{ServiceLaunchOptions.DefaultServiceDll})" };
        private readonly Option<string> _serviceArgs = new("--service-args") { Description = "service command line template; placeholders {port} {state} {storage} {fakedev} {temp}", DefaultValueFactory = _ => ServiceLaunchOptions.DefaultRunArgs };
        private readonly Option<string[]> _serviceArg = new("--service-arg") { Description = "extra service argument (repeatable), e.g. --service-arg=--Api:RateLimit:Enabled=false", AllowMultipleArgumentsPerToken = false };
        private readonly Option<string> _tokenArgs = new("--token-args") { Description = "token command template (prints a JWT)", DefaultValueFactory = _ => ServiceLaunchOptions.DefaultTokenArgs };
        private readonly Option<string?> _tokenExec = new("--token-exec") { Description = "program that prints the token, run with --token-args (default: dotnet <service dll>)" };
        private readonly Option<EmulatorMode> _emulator = new("--emulator") { Description = "with --start-service, also start the MediaMTX emulator: auto (when built), on, off", DefaultValueFactory = _ => EmulatorMode.Auto };
        private readonly Option<string?> _emulatorDll = new("--emulator-dll") { Description = $"the emulator to start (default <repo>/{ServiceLaunchOptions.DefaultEmulatorDll})" };
        private readonly Option<string> _emulatorArgs = new("--emulator-args") { Description = "emulator command line template; {emuport} {rtspport} and the service placeholders", DefaultValueFactory = _ => ServiceLaunchOptions.DefaultEmulatorArgs };
        private readonly Option<string> _emulatorServiceArgs = new("--emulator-service-args") { Description = "service arguments added when the emulator runs", DefaultValueFactory = _ => ServiceLaunchOptions.DefaultEmulatorServiceArgs };
        private readonly Option<string> _wsPath = new("--ws-path") { Description = "WebSocket path of the started service", DefaultValueFactory = _ => "/ws" };
        private readonly Option<double> _readyTimeout = new("--ready-timeout") { Description = "seconds to wait for the started service to answer ping", DefaultValueFactory = _ => 60 };
        private readonly Option<bool> _keepTemp = new("--keep-temp") { Description = "keep the started service's temp directory (log, state, storage)" };
        private readonly Option<string?> _storageRoot = new("--storage-root") { Description = "the media root (Storage:Root) of the server behind --url (files scenario)" };
        private readonly Option<string?> _fakeDevices = new("--fake-devices-dir") { Description = "the fake device root (Plugins:V4l2:DeviceRoot, in fake mode) of the server behind --url" };
        private readonly Option<string?> _fixture = new("--fake-device-fixture") { Description = "V4L2 fixture name each fake camera uses (default usb2-pc-camera.txt; discovery, hotplug, fanout --trigger v4l2)" };
        private readonly Option<string?> _device = new("--device") { Description = "camera id for device methods (default: first of get_camera_list)" };
        private readonly Option<bool> _smoke = new("--smoke") { Description = "a few seconds, tiny counts: checks the scenario works (CI)" };
        private readonly Option<double> _timeout = new("--timeout") { Description = "request timeout in seconds", DefaultValueFactory = _ => 10 };
        private readonly Option<string?> _resultsDir = new("--results-dir") { Description = "where to write results (default <repo>/perf/results)" };
        private readonly Option<bool> _noResults = new("--no-results") { Description = "print only; write no files" };
        private readonly Option<bool> _record = new("--record") { Description = "append the headline figures (per phase, with the commit and the load average) to perf/history.csv" };
        private readonly Option<string?> _historyFile = new("--history-file") { Description = "the file --record appends to (default <repo>/perf/history.csv)" };

        public void AddTo(Command command)
        {
            foreach (var option in new Option[]
            {
                _url, _token, _tokenFile, _serverPid, _startService, _echo, _echoInProcess, _echoInline, _serviceDll, _serviceArgs,
                _serviceArg, _tokenArgs, _tokenExec, _emulator, _emulatorDll, _emulatorArgs, _emulatorServiceArgs, _wsPath, _readyTimeout, _keepTemp, _storageRoot, _fakeDevices, _fixture, _device, _smoke,
                _timeout, _resultsDir, _noResults, _record, _historyFile,
            })
            {
                command.Options.Add(option);
            }
        }

        public RunOptions Read(ParseResult parse, string scenario, string commandLine)
        {
            var url = parse.GetValue(_url);
            var start = parse.GetValue(_startService);
            var echo = parse.GetValue(_echo);
            if (new[] { url is not null, start, echo }.Count(x => x) > 1)
            {
                throw new PerfException("choose one target: --url, --start-service or --echo");
            }

            TargetKind kind;
            if (start)
            {
                kind = TargetKind.Service;
            }
            else if (url is not null)
            {
                kind = TargetKind.Url;
            }
            else if (echo || scenario is "limit" or "motion")
            {
                // motion measures the reader and detector standalone: no server is loaded.
                kind = TargetKind.Echo;
            }
            else
            {
                throw new PerfException("choose a target: --url ws://127.0.0.1:8002/ws --token <jwt>, --start-service (the built service), or --echo (the bundled echo server)");
            }

            Uri? uri = null;
            if (url is not null)
            {
                if (!Uri.TryCreate(url, UriKind.Absolute, out uri) || (uri.Scheme != "ws" && uri.Scheme != "wss"))
                {
                    throw new PerfException($"--url must be a ws:// or wss:// URL, got '{url}'");
                }

                if (!IsLoopback(uri.Host))
                {
                    throw new PerfException($"--url must point at this machine (127.0.0.1, ::1 or localhost): the harness loads loopback only, got '{uri.Host}'");
                }
            }

            var token = parse.GetValue(_token);
            if (parse.GetValue(_tokenFile) is { } tokenFile)
            {
                token = File.Exists(tokenFile) ? File.ReadAllText(tokenFile).Trim() : throw new PerfException($"--token-file {tokenFile} does not exist");
            }

            return new RunOptions
            {
                Target = kind,
                Url = uri,
                Token = token,
                ServerPid = parse.GetValue(_serverPid),
                StorageRoot = parse.GetValue(_storageRoot),
                FakeDevicesDirectory = parse.GetValue(_fakeDevices),
                FakeDeviceFixture = parse.GetValue(_fixture),
                Service = new ServiceLaunchOptions(
                    parse.GetValue(_serviceDll),
                    parse.GetValue(_serviceArgs)!,
                    parse.GetValue(_tokenArgs)!,
                    parse.GetValue(_serviceArg) ?? [],
                    parse.GetValue(_wsPath)!,
                    TimeSpan.FromSeconds(parse.GetValue(_readyTimeout)),
                    parse.GetValue(_keepTemp),
                    parse.GetValue(_tokenExec),
                    start ? token : null,
                    parse.GetValue(_emulator),
                    parse.GetValue(_emulatorDll),
                    parse.GetValue(_emulatorArgs)!,
                    parse.GetValue(_emulatorServiceArgs)!),
                EchoInProcess = parse.GetValue(_echoInProcess),
                EchoInline = parse.GetValue(_echoInline),
                Smoke = parse.GetValue(_smoke),
                RequestTimeout = TimeSpan.FromSeconds(parse.GetValue(_timeout)),
                Device = parse.GetValue(_device),
                ResultsDirectory = parse.GetValue(_resultsDir),
                WriteResults = !parse.GetValue(_noResults),
                RecordHistory = parse.GetValue(_record),
                HistoryFile = parse.GetValue(_historyFile),
                CommandLine = $"perf/run.sh {commandLine}",
            };
        }

        private static bool IsLoopback(string host)
            => host == "localhost" || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
    }

    /// <summary>Scenario knobs; a verb gets only the ones it reads.</summary>
    private sealed class KnobOptions
    {
        private readonly Dictionary<string, Option> _options = new(StringComparer.Ordinal);

        public KnobOptions(IEnumerable<string> names)
        {
            foreach (var name in names)
            {
                _options[name] = name switch
                {
                    "--clients" => new Option<int?>(name) { Description = "closed-loop clients (connections)" },
                    "--sessions" => new Option<int?>(name) { Description = "authenticated sessions" },
                    "--rate" => new Option<double?>(name) { Description = "offered requests per second (open loop)" },
                    "--duration" => new Option<double?>(name) { Description = "measured seconds" },
                    "--warmup" => new Option<double?>(name) { Description = "unrecorded warm-up seconds" },
                    "--mix" => new Option<string?>(name) { Description = $"method mix, e.g. {Workloads.MethodMix.Throughput} (name[=params-json][:weight],…)" },
                    "--methods" => new Option<string?>(name) { Description = "comma-separated methods (name[=params-json])" },
                    "--connect-rate" => new Option<double?>(name) { Description = "new sessions per second (0 = as fast as possible)" },
                    "--hold" => new Option<double?>(name) { Description = "seconds to hold" },
                    "--start-rate" => new Option<double?>(name) { Description = "first offered rate" },
                    "--rate-factor" => new Option<double?>(name) { Description = "rate multiplier per step" },
                    "--step" => new Option<double?>(name) { Description = "seconds per step" },
                    "--max-steps" => new Option<int?>(name) { Description = "steps at most" },
                    "--p95-limit" => new Option<double?>(name) { Description = "p95 ms that counts as broken" },
                    "--error-limit" => new Option<double?>(name) { Description = "error % that counts as broken" },
                    "--minutes" => new Option<double?>(name) { Description = "run length in minutes" },
                    "--window" => new Option<double?>(name) { Description = "seconds per drift window" },
                    "--events" => new Option<int?>(name) { Description = "events to trigger" },
                    "--warmup-events" => new Option<int?>(name) { Description = "events triggered first and not measured (default 0: the first event's cold start counts)" },
                    "--event-spacing" => new Option<double?>(name) { Description = "ms between events" },
                    "--trigger" => new Option<string?>(name) { Description = "echo | rpc | v4l2" },
                    "--trigger-methods" => new Option<string?>(name) { Description = "rpc trigger methods, cycled (default take_snapshot; e.g. start_recording,stop_recording)" },
                    "--notification" => new Option<string?>(name) { Description = "notification to wait for (default: the contract's pairing)" },
                    "--topics" => new Option<string?>(name) { Description = "subscribe_events topics, comma-separated" },
                    "--iterations" => new Option<int?>(name) { Description = "start/stop/snapshot cycles" },
                    "--file-count" => new Option<int?>(name) { Description = "recordings to generate" },
                    "--downloads" => new Option<int?>(name) { Description = "small-file downloads" },
                    "--big-file-mib" => new Option<int?>(name) { Description = "size of the large download in MiB" },
                    "--cameras" => new Option<string?>(name) { Description = "fake camera counts, comma-separated" },
                    "--plugs" => new Option<int?>(name) { Description = "plug/unplug cycles" },
                    "--nodes" => new Option<string?>(name) { Description = "simulated node counts, comma-separated (fleet)" },
                    "--client-counts" => new Option<string?>(name) { Description = "gateway client counts, comma-separated (fleet)" },
                    "--cameras-per-node" => new Option<int?>(name) { Description = "cameras per node (fleet)" },
                    "--max-in-flight" => new Option<int?>(name) { Description = "open-loop requests in flight at most (beyond: counted as client-backlog errors)" },
                    _ => throw new InvalidOperationException("unknown knob " + name),
                };
            }
        }

        public void AddTo(Command command)
        {
            foreach (var option in _options.Values)
            {
                command.Options.Add(option);
            }
        }

        public ScenarioSettings Read(ParseResult parse) => new()
        {
            Clients = Get<int?>(parse, "--clients"),
            Sessions = Get<int?>(parse, "--sessions"),
            Rate = Get<double?>(parse, "--rate"),
            DurationSeconds = Get<double?>(parse, "--duration"),
            WarmupSeconds = Get<double?>(parse, "--warmup"),
            Mix = Get<string?>(parse, "--mix"),
            Methods = Get<string?>(parse, "--methods"),
            ConnectRate = Get<double?>(parse, "--connect-rate"),
            HoldSeconds = Get<double?>(parse, "--hold"),
            StartRate = Get<double?>(parse, "--start-rate"),
            RateFactor = Get<double?>(parse, "--rate-factor"),
            StepSeconds = Get<double?>(parse, "--step"),
            MaxSteps = Get<int?>(parse, "--max-steps"),
            P95LimitMs = Get<double?>(parse, "--p95-limit"),
            ErrorLimitPercent = Get<double?>(parse, "--error-limit"),
            Minutes = Get<double?>(parse, "--minutes"),
            WindowSeconds = Get<double?>(parse, "--window"),
            Events = Get<int?>(parse, "--events"),
            WarmupEvents = Get<int?>(parse, "--warmup-events"),
            EventSpacingMs = Get<double?>(parse, "--event-spacing"),
            Trigger = Get<string?>(parse, "--trigger"),
            TriggerMethods = Get<string?>(parse, "--trigger-methods"),
            Notification = Get<string?>(parse, "--notification"),
            Topics = Get<string?>(parse, "--topics"),
            Iterations = Get<int?>(parse, "--iterations"),
            FileCount = Get<int?>(parse, "--file-count"),
            Downloads = Get<int?>(parse, "--downloads"),
            BigFileMiB = Get<int?>(parse, "--big-file-mib"),
            CameraCounts = Get<string?>(parse, "--cameras"),
            Plugs = Get<int?>(parse, "--plugs"),
            MaxInFlight = Get<int?>(parse, "--max-in-flight"),
            NodeCounts = Get<string?>(parse, "--nodes"),
            ClientCounts = Get<string?>(parse, "--client-counts"),
            CamerasPerNode = Get<int?>(parse, "--cameras-per-node"),
        };

        private T? Get<T>(ParseResult parse, string name)
            => _options.TryGetValue(name, out var option) ? parse.GetValue((Option<T>)option) : default;
    }
}
