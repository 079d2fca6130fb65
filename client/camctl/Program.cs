using System.CommandLine;
using System.Globalization;
using System.Net.Http.Headers;
using CameraService.Client;
using CameraService.Shared;
using Spectre.Console;

namespace CameraService.Camctl;

/// <summary><c>camctl</c>: the command-line client of camera-service.</summary>
internal static partial class Program
{
    private static readonly Option<string?> UrlOption = new("--url") { Description = "Service URL (default $CAMCTL_URL, the config file, or ws://127.0.0.1:8002/ws)", Recursive = true };
    private static readonly Option<string?> TokenOption = new("--token") { Description = "JWT or API key (default $CAMCTL_TOKEN or the config file)", Recursive = true };
    private static readonly Option<bool> JsonOption = new("--json") { Description = "Machine-readable JSON output", Recursive = true };

    public static Task<int> Main(string[] args) => Run(args, AnsiConsole.Console, Console.Out);

    /// <summary>Runs camctl with the given console (tests pass a recording console).</summary>
    internal static Task<int> Run(string[] args, IAnsiConsole console, TextWriter raw)
    {
        var io = new Io(console, raw);
        var root = new RootCommand("camctl: control a camera-service from the command line.\n" + ExitCodes.Help);
        root.Options.Add(UrlOption);
        root.Options.Add(TokenOption);
        root.Options.Add(JsonOption);

        var device = new Argument<string>("camera") { Description = "Camera id, e.g. camera0" };
        var name = new Argument<string>("name") { Description = "File name as listed by camctl files" };

        Add(root, new Command("cameras", "List cameras"), io, async (c, o, _, ct) =>
        {
            var list = await c.GetCameraListAsync(ct);
            o.Write(list, con =>
            {
                var t = Output.Table("CAMERA", "STATUS", "NAME", "RESOLUTION", "FPS", "RTSP/HLS");
                foreach (var cam in list.Cameras)
                {
                    t.AddRow(Markup.Escape(cam.Device), Markup.Escape(cam.Status), Markup.Escape(cam.Name), Markup.Escape(cam.Resolution ?? "-"),
                        cam.Fps?.ToString(CultureInfo.InvariantCulture) ?? "-", Markup.Escape(cam.Streams?.Rtsp ?? cam.Streams?.Hls ?? "-"));
                }

                con.Write(t);
                con.MarkupLine($"{list.Connected} of {list.Total} connected");
            });
        });

        var camera = new Command("camera", "Show a camera: status, capabilities, controls") { device };
        Add(root, camera, io, async (c, o, p, ct) =>
        {
            var id = p.GetValue(device)!;
            var status = await c.GetCameraStatusAsync(id, ct);
            var caps = await c.GetCameraCapabilitiesAsync(id, ct);
            o.Write(new { status, capabilities = caps }, con =>
            {
                var grid = new Grid().AddColumn().AddColumn();
                grid.AddRow("Camera", Markup.Escape(status.Device));
                grid.AddRow("Status", Markup.Escape(status.Status));
                grid.AddRow("Name", Markup.Escape(status.Name));
                grid.AddRow("Stable id", Markup.Escape(status.StableId ?? "-"));
                grid.AddRow("Resolution", Markup.Escape($"{status.Resolution} @ {status.Fps} fps"));
                grid.AddRow("Formats", Markup.Escape(string.Join(", ", caps.Formats)));
                grid.AddRow("Resolutions", Markup.Escape(string.Join(", ", caps.Resolutions)));
                grid.AddRow("Frame rates", Markup.Escape(string.Join(", ", caps.FpsOptions)));
                grid.AddRow("RTSP", Markup.Escape(status.Streams?.Rtsp ?? "-"));
                grid.AddRow("HLS", Markup.Escape(status.Streams?.Hls ?? "-"));
                grid.AddRow("WebRTC", Markup.Escape(status.Streams?.Webrtc ?? "-"));
                if (caps.Controls is { Count: > 0 } controls)
                {
                    grid.AddRow("Controls", Markup.Escape(string.Join(", ", controls.Select(k => $"{k.Name}={k.Value?.ToString(CultureInfo.InvariantCulture) ?? "-"}"))));
                }
                else if (status.Extra?.TryGetValue("controls", out var extra) == true)
                {
                    grid.AddRow("Controls", Markup.Escape(extra.ToString()));
                }

                con.Write(grid);
            });
        });

        AddControlCommands(root, io, device);
        AddScheduleCommands(root, io, device);
        AddMotionCommands(root, io, device);

        var outOption = new Option<string?>("--output", "-o") { Description = "Where to save the file" };
        var snapshot = new Command("snapshot", "Take a snapshot and download it") { device, outOption };
        Add(root, snapshot, io, async (c, o, p, ct) =>
        {
            var shot = await c.TakeSnapshotAsync(p.GetValue(device)!, cancellationToken: ct);
            var target = p.GetValue(outOption) ?? shot.Filename;
            await Download(o, shot.DownloadUrl, target, resume: false, ct);
            o.Write(new { shot.Device, shot.Filename, shot.FileSize, shot.Timestamp, saved_to = Path.GetFullPath(target) },
                con => con.MarkupLineInterpolated($"Snapshot {shot.Filename} ({Output.Size(shot.FileSize)}) saved to {Path.GetFullPath(target)}"));
        });

        var record = new Command("record", "Recordings: start, stop, status");
        var durationOption = new Option<string?>("--duration") { Description = "Stop after this long: 30s, 5m, 1h (default: until stop)" };
        var formatOption = new Option<string?>("--format") { Description = "Container: fmp4 (default), mp4 or mkv" };
        var audioOption = new Option<bool>("--audio") { Description = "Record the camera's audio too" };
        var preOption = new Option<int?>("--pre") { Description = "Include this many seconds (0-30) from before the call (pre-event buffer)" };
        Add(record, new Command("start", "Start recording") { device, durationOption, formatOption, audioOption, preOption }, io, async (c, o, p, ct) =>
        {
            var duration = ParseDuration(p.GetValue(durationOption));
            if (p.GetValue(preOption) is { } pre and (< 0 or > 30))
            {
                throw new UsageException($"--pre: '{pre}' is not a number of seconds between 0 and 30");
            }

            var r = await c.StartRecordingAsync(
                p.GetValue(device)!, duration, p.GetValue(formatOption), p.GetValue(audioOption) ? true : null, p.GetValue(preOption), ct);
            var extras = (r.Audio ? ", with audio" : string.Empty) + (r.PreSeconds > 0 ? $", from {r.PreSeconds:0.#} s before" : string.Empty);
            o.Write(r, con => con.MarkupLineInterpolated($"Recording {r.Device} (session {r.SessionId}){(r.Duration is { } d ? $" for {d} s" : " until camctl record stop")}{extras}"));
        });
        Add(record, new Command("stop", "Stop recording; lists the files written") { device }, io, async (c, o, p, ct) =>
        {
            var r = await c.StopRecordingAsync(p.GetValue(device)!, ct);
            o.Write(r, con =>
            {
                con.MarkupLineInterpolated($"Stopped {r.Device} (session {r.SessionId}) after {r.Duration:F1} s, {Output.Size(r.FileSize)}");
                var t = Output.Table("FILE", "SIZE");
                foreach (var f in r.Files)
                {
                    t.AddRow(Markup.Escape(f.Filename), f.FileSize is { } size ? Output.Size(size) : "-");
                }

                con.Write(t);
            });
        });
        Add(record, new Command("status", "Recording status") { device }, io, async (c, o, p, ct) =>
        {
            var s = await c.GetRecordingStatusAsync(p.GetValue(device)!, ct);
            o.Write(s, con => con.MarkupLineInterpolated(
                $"{s.Device}: {s.Status}{(s.SessionId is null ? string.Empty : $" (session {s.SessionId}, {s.ElapsedSeconds:F1} s, {Output.Size(s.BytesWritten)}{(s.DurationLimit is { } l ? $", limit {l} s" : string.Empty)})")}"));
        });
        root.Subcommands.Add(record);

        var stream = new Command("stream", "Live stream: start, stop, url");
        Add(stream, new Command("start", "Start the camera's live stream and print its URL") { device }, io, async (c, o, p, ct) =>
        {
            var r = await c.StartStreamingAsync(p.GetValue(device)!, ct);
            o.Write(r, con => con.MarkupLineInterpolated($"Streaming {r.Device}: {r.StreamUrl ?? "(no URL offered)"}"));
        });
        Add(stream, new Command("stop", "Stop the camera's live stream (never a recording)") { device }, io, async (c, o, p, ct) =>
        {
            var r = await c.StopStreamingAsync(p.GetValue(device)!, ct);
            o.Write(r, con => con.MarkupLineInterpolated($"Stopped streaming {r.Device}{(r.StreamContinues ? " (the stream continues for a recording)" : string.Empty)}"));
        });
        Add(stream, new Command("url", "Print the camera's stream URLs and state") { device }, io, async (c, o, p, ct) =>
        {
            var r = await c.GetStreamUrlAsync(p.GetValue(device)!, ct);
            o.Write(r, con => con.MarkupLineInterpolated($"{r.Device}: {r.StreamStatus}, {r.ActiveConsumers} viewers; {r.StreamUrlValue ?? "-"}"));
        });
        root.Subcommands.Add(stream);

        var kind = new Argument<string>("kind") { Description = "recordings or snapshots" };
        kind.AcceptOnlyFromAmong("recordings", "snapshots");
        var deviceOption = new Option<string?>("--device") { Description = "Only this camera's files" };
        var limitOption = new Option<int?>("--limit") { Description = "Files per page (1–1000, default 50)" };
        var offsetOption = new Option<int?>("--offset") { Description = "Files to skip" };
        Add(root, new Command("files", "List recordings or snapshots, newest first") { kind, deviceOption, limitOption, offsetOption }, io, async (c, o, p, ct) =>
        {
            var list = p.GetValue(kind) == "recordings"
                ? await c.ListRecordingsAsync(p.GetValue(limitOption), p.GetValue(offsetOption), p.GetValue(deviceOption), ct)
                : await c.ListSnapshotsAsync(p.GetValue(limitOption), p.GetValue(offsetOption), p.GetValue(deviceOption), ct);
            o.Write(list, con =>
            {
                var t = Output.Table("FILE", "CAMERA", "SIZE", "MODIFIED", "DURATION");
                foreach (var f in list.Files)
                {
                    t.AddRow(Markup.Escape(f.Filename) + (f.InProgress ? " [yellow](recording)[/]" : string.Empty), Markup.Escape(f.Device), Output.Size(f.FileSize),
                        f.ModifiedTime.ToString("u", CultureInfo.InvariantCulture), f.Duration is { } d ? $"{d:F1} s" : "-");
                }

                con.Write(t);
                con.MarkupLine($"{list.Files.Count} of {list.Total} (offset {list.Offset})");
            });
        });

        Add(root, new Command("download", "Download a recording or snapshot (resumes a partial file)") { name, outOption }, io, async (c, o, p, ct) =>
        {
            var file = p.GetValue(name)!;
            var info = await InfoAsync(c, file, ct);
            var target = p.GetValue(outOption) ?? file;
            await Download(o, info.DownloadUrl, target, resume: true, ct);
            o.Write(new { filename = file, saved_to = Path.GetFullPath(target), file_size = new System.IO.FileInfo(target).Length },
                con => con.MarkupLineInterpolated($"Saved {file} to {Path.GetFullPath(target)}"));
        });

        Add(root, new Command("delete", "Delete a recording or snapshot") { name }, io, async (c, o, p, ct) =>
        {
            var file = p.GetValue(name)!;
            var result = IsSnapshot(file) ? await c.DeleteSnapshotAsync(file, ct) : await c.DeleteRecordingAsync(file, ct);
            o.Write(result, con => con.MarkupLineInterpolated($"{result.Message}"));
        });

        Add(root, new Command("storage", "Disk usage and thresholds (admin)"), io, async (c, o, _, ct) =>
        {
            var s = await c.GetStorageInfoAsync(ct);
            o.Write(s, con => con.MarkupLineInterpolated(
                $"{s.UsagePercentage:F1}% used ({Output.Size(s.UsedSpace)} of {Output.Size(s.TotalSpace)}, {Output.Size(s.AvailableSpace)} free); recordings {Output.Size(s.RecordingsSize)}, snapshots {Output.Size(s.SnapshotsSize)}; warn at {s.WarnPercent}%, block at {s.BlockPercent}%{(s.LowSpaceWarning ? " — LOW SPACE" : string.Empty)}"));
        });

        var topicOption = new Option<string[]>("--topic") { Description = "Topics to follow (default: camera and recording events)", AllowMultipleArgumentsPerToken = true };
        var countOption = new Option<int?>("--count") { Description = "Exit after this many notifications" };
        Add(root, new Command("events", "Follow notifications live (Ctrl+C to stop)") { topicOption, countOption, deviceOption }, io, async (c, o, p, ct) =>
        {
            var topics = p.GetValue(topicOption) is { Length: > 0 } t ? t : ["camera.connected", "camera.disconnected", "camera.status_change", "recording.start", "recording.stop", "recording.error", "snapshot.taken"];
            var seen = 0;
            var limit = p.GetValue(countOption);
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            c.NotificationReceived += (_, n) =>
            {
                lock (done)
                {
                    if (limit is { } l && seen >= l)
                    {
                        return;
                    }

                    seen++;
                    o.WriteLine(new { method = n.Method, @params = n.Params }, con => con.MarkupLineInterpolated($"[grey]{TimeProvider.System.GetLocalNow():HH:mm:ss}[/] [bold]{n.Method}[/] {n.Params.GetRawText()}"));
                    if (limit is { } max && seen >= max)
                    {
                        done.TrySetResult();
                    }
                }
            };
            c.Reconnected += (_, error) =>
            {
                if (!o.Json)
                {
                    o.Console.MarkupLineInterpolated($"[yellow]reconnected[/]{(error is null ? string.Empty : $" but the session was not restored: {error.Message}")}");
                }
            };
            await c.SubscribeAsync(topics, p.GetValue(deviceOption), ct);
            if (!o.Json)
            {
                // Notifications may already be arriving on the socket's thread; the console is not thread-safe.
                lock (done)
                {
                    o.Console.MarkupLineInterpolated($"Following {string.Join(", ", topics)} …");
                }
            }

            await done.Task.WaitAsync(ct);
        }, reconnect: true);

        Add(root, new Command("status", "Service health"), io, async (c, o, _, ct) =>
        {
            var s = await c.GetSystemStatusAsync(ct);
            o.Write(s, con => con.MarkupLineInterpolated($"{s.Status}: {s.Message} (cameras: {string.Join(", ", s.AvailableCameras)})"));
        });

        Add(root, new Command("server", "Server version, plugins and capabilities"), io, async (c, o, _, ct) =>
        {
            var info = await c.GetServerInfoAsync(ct);
            o.Write(info, con =>
            {
                con.MarkupLineInterpolated($"{info.Name} {info.Version} ({info.Runtime}, {info.Architecture})");
                var t = Output.Table("PLUGIN", "VERSION", "STATUS");
                foreach (var pl in info.Plugins)
                {
                    t.AddRow(Markup.Escape(pl.Id), Markup.Escape(pl.Version), Markup.Escape(pl.Status));
                }

                con.Write(t);
            });
        });

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            // System.CommandLine answers parse errors with 1; camctl's contract is 2 for every usage mistake.
            foreach (var error in parsed.Errors)
            {
                raw.WriteLine($"error: {error.Message}");
            }

            raw.WriteLine("Run camctl --help for usage.");
            return Task.FromResult(ExitCodes.Usage);
        }

        return parsed.InvokeAsync(new InvocationConfiguration { Output = raw, Error = raw });
    }

    private sealed record Io(IAnsiConsole Console, TextWriter Raw);

    private static void Add(Command parent, Command command, Io io, Func<CameraServiceClient, Output, ParseResult, CancellationToken, Task> action, bool reconnect = false)
    {
        command.SetAction(async (parse, ct) =>
        {
            var output = new Output(io.Console, io.Raw, parse.GetValue(JsonOption));
            return await Execute(parse, output, action, reconnect, ct);
        });
        parent.Subcommands.Add(command);
    }

    internal static async Task<int> Execute(ParseResult parse, Output output, Func<CameraServiceClient, Output, ParseResult, CancellationToken, Task> action, bool reconnect, CancellationToken ct)
    {
        try
        {
            var settings = ConnectionSettings.Resolve(parse.GetValue(UrlOption), parse.GetValue(TokenOption));
            output.Settings = settings;
            await using var client = await settings.ConnectAsync(reconnect, ct);
            await action(client, output, parse, ct);
            return ExitCodes.Success;
        }
        catch (UsageException ex)
        {
            output.Error(ex.Message);
            return ExitCodes.Usage;
        }
        catch (CameraServiceApiException ex)
        {
            output.Error(ExitCodes.Explain(ex));
            return ExitCodes.For(ex);
        }
        catch (CameraServiceConnectionException ex)
        {
            output.Error($"{ex.Message}. Is the service running? Check --url.");
            return ExitCodes.Connection;
        }
        catch (HttpRequestException ex)
        {
            output.Error($"Download failed: {ex.Message}");
            return ex.StatusCode is System.Net.HttpStatusCode.Unauthorized or System.Net.HttpStatusCode.Forbidden ? ExitCodes.Auth
                : ex.StatusCode is System.Net.HttpStatusCode.NotFound ? ExitCodes.NotFound : ExitCodes.Connection;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return ExitCodes.Success;
        }
        catch (System.Text.Json.JsonException ex)
        {
            output.Error($"The service sent an answer this camctl cannot read (different versions?): {ex.Message}");
            return ExitCodes.Failure;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            output.Error($"Cannot write the file: {ex.Message}");
            return ExitCodes.Failure;
        }
    }

    private static async Task<MediaFileInfo> InfoAsync(CameraServiceClient client, string file, CancellationToken ct) =>
        IsSnapshot(file) ? await client.GetSnapshotInfoAsync(file, ct) : await client.GetRecordingInfoAsync(file, ct);

    private static bool IsSnapshot(string file) =>
        file.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase) || file.EndsWith(".jpeg", StringComparison.OrdinalIgnoreCase) || file.EndsWith(".png", StringComparison.OrdinalIgnoreCase);

    internal static TimeSpan? ParseDuration(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        // The service's grammar; a bare number is seconds, like the API's duration parameter.
        if (!DurationText.TryParse(text, out var duration, bareNumberIsSeconds: true) || duration <= TimeSpan.Zero)
        {
            throw new UsageException($"--duration must be {DurationText.AcceptedForms}, or plain seconds, above zero (got '{text}')");
        }

        return duration;
    }

    /// <summary>
    /// Downloads with a progress bar. With <paramref name="resume"/> a partial file at <paramref name="target"/> is continued
    /// with a Range request; a file that is already complete (416 with the same size) is left as it is.
    /// </summary>
    private static async Task Download(Output output, string url, string target, bool resume, CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        var existing = resume && File.Exists(target) ? new System.IO.FileInfo(target).Length : 0;
        var response = await http.SendAsync(Request(existing), HttpCompletionOption.ResponseHeadersRead, ct);
        try
        {
            if (response.StatusCode == System.Net.HttpStatusCode.RequestedRangeNotSatisfiable)
            {
                if (response.Content.Headers.ContentRange?.Length == existing)
                {
                    return; // Already complete.
                }

                // The local file is not a prefix of this one (larger, or another file of the same name): start over.
                response.Dispose();
                existing = 0;
                response = await http.SendAsync(Request(0), HttpCompletionOption.ResponseHeadersRead, ct);
            }

            response.EnsureSuccessStatusCode();
            var resumed = existing > 0 && response.StatusCode == System.Net.HttpStatusCode.PartialContent;
            var total = (response.Content.Headers.ContentLength ?? 0) + (resumed ? existing : 0);
            await using var body = await response.Content.ReadAsStreamAsync(ct);
            await using var file = new FileStream(target, resumed ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            async Task Copy(Action<long>? progress)
            {
                var buffer = new byte[1 << 16];
                int read;
                while ((read = await body.ReadAsync(buffer, ct)) > 0)
                {
                    await file.WriteAsync(buffer.AsMemory(0, read), ct);
                    progress?.Invoke(read);
                }
            }

            if (output.Json || !output.Console.Profile.Capabilities.Interactive)
            {
                await Copy(null);
                return;
            }

            await output.Console.Progress().StartAsync(async ctx =>
            {
                var task = ctx.AddTask(Path.GetFileName(target), maxValue: Math.Max(total, 1));
                task.Increment(resumed ? existing : 0);
                await Copy(n => task.Increment(n));
            });
        }
        finally
        {
            response.Dispose();
        }

        HttpRequestMessage Request(long from)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, url);
            if (from > 0)
            {
                request.Headers.Range = new RangeHeaderValue(from, null);
            }

            // download_url carries a short-lived signed token; the session token is added too (so a resume after the
            // signature expired still works), but only when the URL points at the service we connected to.
            if (output.Settings is { Token: { Length: > 0 } token } settings && SameService(new Uri(url), settings.Url))
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            return request;
        }
    }

    private static bool SameService(Uri download, Uri service) =>
        string.Equals(download.Host, service.Host, StringComparison.OrdinalIgnoreCase) && download.Port == service.Port;
}
