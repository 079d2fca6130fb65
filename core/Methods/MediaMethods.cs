using System.Globalization;
using CameraService.Abstractions;
using CameraService.Abstractions.Api;
using CameraService.Abstractions.Media;
using CameraService.Abstractions.Streaming;
using CameraService.Core.Events;
using CameraService.Core.Auth;
using CameraService.Core.Media;
using CameraService.Core.Metrics;
using CameraService.Core.Plugins;
using CameraService.Core.Rpc;
using Microsoft.Extensions.Configuration;

namespace CameraService.Core.Methods;

/// <summary>
/// The media methods of api-contract.md §4: snapshots, recordings, streaming, files, storage and retention.
/// Each turns a validated call into work for the active stream backend and media store.
/// </summary>
internal sealed class MediaMethods(
    ActiveComponents components,
    ICameraDirectory cameras,
    RecordingManager recordings,
    IEventPublisher events,
    IAccessControl access,
    PublicEndpoint publicEndpoint,
    IConfiguration configuration,
    TimeProvider time,
    ServiceMetrics? metrics = null) : IRpcMethodProvider
{
    private const string CameraPattern = "^camera[0-9]+$";

    // A bare file name as listed by the service: no separators, no control characters (the store checks '..' and more).
    private const string FileNamePattern = @"^[^/\\\x00-\x1f\x7f]+$";

    private static readonly int[] CameraErrors = [RpcErrorCodes.NotFound, RpcErrorCodes.InvalidState, RpcErrorCodes.DependencyFailed, RpcErrorCodes.Unsupported];

    private readonly TimeSpan _streamTokenTtl = ReadDuration(configuration, "Auth:StreamTokenLifetime", TimeSpan.FromMinutes(5));
    private readonly TimeSpan _snapshotTimeout = ReadDuration(configuration, "Snapshots:Timeout", TimeSpan.FromSeconds(10));

    // Signed URLs live as long as the media store says (IMediaStore.DownloadUrlLifetime); the core reads no storage keys.
    private TimeSpan DownloadTtl => components.MediaStore?.DownloadUrlLifetime ?? TimeSpan.FromHours(1);

    private IStreamBackend Backend => components.StreamBackend
        ?? throw new UnsupportedFeatureException("streaming", $"No stream backend is active (CameraService:StreamBackend='{components.StreamBackendName}' is not loaded); check `camera-service plugins`.");

    private IMediaStore Store => components.MediaStore
        ?? throw new UnsupportedFeatureException("storage", $"No media store is active (CameraService:MediaStore='{components.MediaStoreName}' is not loaded); check `camera-service plugins`.");

    public IEnumerable<RpcMethod> GetMethods()
    {
        var device = new RpcParam("device", RpcParamType.String, "Camera id, e.g. camera0", Required: true) { Pattern = CameraPattern, MaxLength = 64 };
        var filename = new RpcParam("filename", RpcParamType.String, "A bare file name as listed by the service", Required: true) { Pattern = FileNamePattern, MaxLength = 255 };
        RpcParam[] paging =
        [
            new("limit", RpcParamType.Integer, "Files per page") { Minimum = 1, Maximum = 1000, Default = 50 },
            new("offset", RpcParamType.Integer, "Files to skip") { Minimum = 0, Default = 0 },
            new("device", RpcParamType.String, "Only this camera's files") { Pattern = CameraPattern, MaxLength = 64 },
            new("cursor", RpcParamType.String, "Instead of offset: the next_cursor of the previous page; the page after it stays correct while files are added") { MaxLength = 1024 },
        ];

        yield return new RpcMethod("take_snapshot", RpcRole.Operator, "Capture one frame of a camera into a file.",
            [
                device,
                filename with { Required = false, Description = "File name to use (must not exist); default <camera>_<time>.jpg" },
                new("format", RpcParamType.String, "Image format") { Enum = ["jpg", "jpeg", "png"], Default = "jpg" },
                new("quality", RpcParamType.Integer, "JPEG quality") { Minimum = 1, Maximum = 100, Default = 85 },
            ],
            MediaJsonContext.Default.SnapshotResultDto,
            [.. CameraErrors, RpcErrorCodes.InsufficientStorage],
            TakeSnapshotAsync);

        yield return new RpcMethod("start_recording", RpcRole.Operator, "Start recording a camera; without a duration it records until stop_recording.",
            [
                device,
                new("duration", RpcParamType.Integer, "Stop after this many seconds") { Minimum = 1, Maximum = 86400 },
                new("duration_seconds", RpcParamType.Integer, "Stop after this many seconds") { Minimum = 1, Maximum = 86400 },
                new("duration_minutes", RpcParamType.Integer, "Stop after this many minutes") { Minimum = 1, Maximum = 1440 },
                new("duration_hours", RpcParamType.Integer, "Stop after this many hours") { Minimum = 1, Maximum = 24 },
                new("format", RpcParamType.String, "Container format: fmp4 (fragmented MP4), mp4 or mkv (Matroska)") { Enum = ["fmp4", "mp4", "mkv"], Default = "fmp4" },
                new("audio", RpcParamType.Boolean, "Record the camera's audio too (-32030 when it has none)") { Default = false },
                new("pre_seconds", RpcParamType.Integer, "Include this many seconds before the call from the pre-event buffer") { Minimum = 0, Maximum = 30, Default = 0 },
            ],
            MediaJsonContext.Default.StartRecordingResult,
            [.. CameraErrors, RpcErrorCodes.InsufficientStorage],
            StartRecordingAsync);

        yield return new RpcMethod("stop_recording", RpcRole.Operator, "Stop recording a camera; returns every file written.",
            [device],
            MediaJsonContext.Default.StopRecordingResult,
            CameraErrors,
            StopRecordingAsync);

        yield return new RpcMethod("get_recording_status", RpcRole.Viewer, "The camera's recording: elapsed time, limit, bytes written.",
            [device],
            MediaJsonContext.Default.RecordingStatusResult,
            [RpcErrorCodes.NotFound],
            GetRecordingStatusAsync);

        yield return new RpcMethod("start_streaming", RpcRole.Operator, "Make sure the camera's live stream runs.",
            [device],
            MediaJsonContext.Default.StartStreamingResult,
            CameraErrors,
            StartStreamingAsync);

        yield return new RpcMethod("stop_streaming", RpcRole.Operator, "Stop the camera's live stream (never an active recording).",
            [device],
            MediaJsonContext.Default.StopStreamingResult,
            CameraErrors,
            StopStreamingAsync);

        yield return new RpcMethod("get_stream_url", RpcRole.Viewer, "The camera's stream URLs and whether the stream is ready.",
            [device],
            MediaJsonContext.Default.StreamUrlResult,
            CameraErrors,
            GetStreamUrlAsync);

        yield return new RpcMethod("get_stream_status", RpcRole.Viewer, "The camera's stream state, readers and bytes sent.",
            [device],
            MediaJsonContext.Default.StreamStatusResult,
            CameraErrors,
            GetStreamStatusAsync);

        yield return new RpcMethod("get_streams", RpcRole.Viewer, "Every stream the backend serves.",
            [],
            MediaJsonContext.Default.IReadOnlyListStreamListItem,
            [RpcErrorCodes.DependencyFailed, RpcErrorCodes.Unsupported],
            GetStreamsAsync);

        yield return new RpcMethod("list_recordings", RpcRole.Viewer, "Recordings, newest first.", paging,
            MediaJsonContext.Default.FileListResult, [RpcErrorCodes.Unsupported],
            (c, p, ct) => ListAsync(c, MediaKind.Recording, p, ct));

        yield return new RpcMethod("list_snapshots", RpcRole.Viewer, "Snapshots, newest first.", paging,
            MediaJsonContext.Default.FileListResult, [RpcErrorCodes.Unsupported],
            (c, p, ct) => ListAsync(c, MediaKind.Snapshot, p, ct));

        yield return new RpcMethod("get_recording_info", RpcRole.Viewer, "One recording's size, duration and download URL.", [filename],
            MediaJsonContext.Default.FileInfoResult, [RpcErrorCodes.NotFound],
            (c, p, ct) => GetInfoAsync(MediaKind.Recording, p, ct));

        yield return new RpcMethod("get_snapshot_info", RpcRole.Viewer, "One snapshot's size and download URL.", [filename],
            MediaJsonContext.Default.FileInfoResult, [RpcErrorCodes.NotFound],
            (c, p, ct) => GetInfoAsync(MediaKind.Snapshot, p, ct));

        yield return new RpcMethod("delete_recording", RpcRole.Operator, "Delete a recording (not one still being written).", [filename],
            MediaJsonContext.Default.DeleteResult, [RpcErrorCodes.NotFound, RpcErrorCodes.InvalidState],
            (c, p, ct) => DeleteAsync(MediaKind.Recording, p, ct));

        yield return new RpcMethod("delete_snapshot", RpcRole.Operator, "Delete a snapshot.", [filename],
            MediaJsonContext.Default.DeleteResult, [RpcErrorCodes.NotFound],
            (c, p, ct) => DeleteAsync(MediaKind.Snapshot, p, ct));

        yield return new RpcMethod("get_storage_info", RpcRole.Admin, "Disk usage against the warning and block thresholds.", [],
            MediaJsonContext.Default.StorageInfoResult,
            [RpcErrorCodes.Unsupported],
            GetStorageInfo);

        yield return new RpcMethod("set_retention_policy", RpcRole.Admin, "Set and persist the retention policy.",
            [
                new("policy_type", RpcParamType.String, "age, size or manual", Required: true) { Enum = ["age", "size", "manual"] },
                new("enabled", RpcParamType.Boolean, "Whether the background sweep applies it", Required: true),
                new("max_age_days", RpcParamType.Number, "age: delete files older than this") { Minimum = 0.001, Maximum = 36500 },
                new("max_size_gb", RpcParamType.Number, "size: keep media below this many GB") { Minimum = 0.001, Maximum = 1_000_000 },
                new("min_free_percent", RpcParamType.Number, "any: delete oldest files while free space is below this") { Minimum = 0, Maximum = 100 },
            ],
            MediaJsonContext.Default.RetentionPolicyResult,
            [RpcErrorCodes.Unsupported],
            SetRetentionPolicyAsync);

        yield return new RpcMethod("cleanup_old_files", RpcRole.Admin, "Apply the retention policy now.", [],
            MediaJsonContext.Default.CleanupResultDto,
            [RpcErrorCodes.Unsupported],
            CleanupAsync);
    }

    private async ValueTask<RpcResult> TakeSnapshotAsync(RpcCallContext context, RpcParams p, CancellationToken ct)
    {
        var started = time.GetTimestamp();
        var outcome = "error";
        try
        {
            var result = await TakeSnapshotCoreAsync(p, ct).ConfigureAwait(false);
            outcome = "success";
            return result;
        }
        finally
        {
            metrics?.SnapshotDuration.Record(time.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>("outcome", outcome));
        }
    }

    private async ValueTask<RpcResult> TakeSnapshotCoreAsync(RpcParams p, CancellationToken ct)
    {
        var cameraId = p.GetRequiredString("device");
        RequireConnected(cameraId);
        var store = Store;
        var backend = Backend;
        store.EnsureSpaceForWrite();
        var format = p.GetString("format") is "png" ? "png" : "jpg";
        var quality = (int)(p.GetInt64("quality") ?? 85);
        var path = store.AllocateSnapshotPath(cameraId, p.GetString("filename"), format);
        var shot = await backend.TakeSnapshotAsync(new SnapshotRequest { CameraId = cameraId, OutputPath = path, Format = format, Quality = quality, Timeout = _snapshotTimeout }, ct).ConfigureAwait(false);
        var file = await store.AddAsync(MediaKind.Snapshot, shot.Path, ct).ConfigureAwait(false);
        var timestamp = Iso(time.GetUtcNow());
        events.PublishSnapshotTaken(new SnapshotTakenEvent(cameraId, file.FileName, file.Size, timestamp));
        return RpcResult.From(
            new SnapshotResultDto(cameraId, file.FileName, "SUCCESS", timestamp, file.Size, DownloadUrl(MediaKind.Snapshot, file.FileName)),
            MediaJsonContext.Default.SnapshotResultDto);
    }

    private async ValueTask<RpcResult> StartRecordingAsync(RpcCallContext context, RpcParams p, CancellationToken ct)
    {
        var cameraId = p.GetRequiredString("device");
        var given = new[] { ("duration", 1), ("duration_seconds", 1), ("duration_minutes", 60), ("duration_hours", 3600) }
            .Where(d => p.Has(d.Item1))
            .ToList();
        if (given.Count > 1)
        {
            throw RpcErrorException.InvalidParams(given[1].Item1,
                $"give at most one of duration, duration_seconds, duration_minutes, duration_hours (got {string.Join(", ", given.Select(g => g.Item1))})");
        }

        int? seconds = given.Count == 1 ? checked((int)p.GetInt64(given[0].Item1)!.Value * given[0].Item2) : null;
        var format = p.GetString("format") ?? "fmp4";
        var start = new RecordingStart(format, seconds, p.GetBoolean("audio") ?? false, (int)(p.GetInt64("pre_seconds") ?? 0));
        var session = await recordings.StartAsync(cameraId, start, ct).ConfigureAwait(false);
        return RpcResult.From(
            new StartRecordingResult(cameraId, session.SessionId, session.FirstFileName, "RECORDING", Iso(session.StartTime), seconds, format, session.Audio, session.PreEventSeconds),
            MediaJsonContext.Default.StartRecordingResult);
    }

    private async ValueTask<RpcResult> StopRecordingAsync(RpcCallContext context, RpcParams p, CancellationToken ct)
    {
        var cameraId = p.GetRequiredString("device");
        RecordingSession session;
        try
        {
            session = await recordings.StopAsync(cameraId, ct).ConfigureAwait(false);
        }
        catch (InvalidStateException ex) when (ex.Reason == "not_recording")
        {
            var last = recordings.GetStatus(cameraId);
            throw new RpcErrorException(RpcErrorCodes.InvalidState,
                new("reason", ex.Reason), new("state", ex.State), new("message", ex.Message),
                new("last_session_id", last?.SessionId), new("last_status", last?.Status.Wire()),
                new("last_end_time", last?.EndTime is { } end ? Iso(end) : null));
        }

        return RpcResult.From(ToStopResult(session), MediaJsonContext.Default.StopRecordingResult);
    }

    private StopRecordingResult ToStopResult(RecordingSession s) =>
        new(
            s.CameraId,
            s.SessionId,
            s.FirstFileName,
            s.Status.Wire(),
            Iso(s.StartTime),
            Iso(s.EndTime ?? time.GetUtcNow()),
            s.ElapsedSeconds(time),
            s.Files.Sum(f => f.Size),
            s.Format,
            [.. s.Files.Select(f => new RecordingFileDto(Path.GetFileName(f.Path), f.Size, DownloadUrl(MediaKind.Recording, Path.GetFileName(f.Path)), FileFormats.Of(f.Path)))],
            s.Reason);

    private async ValueTask<RpcResult> GetRecordingStatusAsync(RpcCallContext context, RpcParams p, CancellationToken ct)
    {
        var cameraId = p.GetRequiredString("device");
        var s = recordings.GetStatus(cameraId);
        if (s is null)
        {
            return RpcResult.From(new RecordingStatusResult(cameraId, RecordingStatus.Stopped.Wire(), null, null, 0, null, 0, null, null), MediaJsonContext.Default.RecordingStatusResult);
        }

        s = await recordings.RefreshAsync(s, ct).ConfigureAwait(false);
        var recording = s.Status == RecordingStatus.Recording;
        return RpcResult.From(
            new RecordingStatusResult(cameraId, (recording ? RecordingStatus.Recording : RecordingStatus.Stopped).Wire(), s.SessionId, Iso(s.StartTime), s.ElapsedSeconds(time),
                s.DurationLimitSeconds, s.BytesWritten, recording ? null : s.Status.Wire(), s.Reason),
            MediaJsonContext.Default.RecordingStatusResult);
    }

    private async ValueTask<RpcResult> StartStreamingAsync(RpcCallContext context, RpcParams p, CancellationToken ct)
    {
        var cameraId = p.GetRequiredString("device");
        RequireConnected(cameraId);
        var backend = Backend;
        var info = await backend.StartStreamingAsync(cameraId, ct).ConfigureAwait(false);
        var urls = backend.GetStreamUrls(cameraId);
        return RpcResult.From(
            new StartStreamingResult(cameraId, info.Name, SignOwnStreamUrl(cameraId, PrimaryUrl(urls)), "STARTED", Iso(info.StartTime ?? time.GetUtcNow()), null),
            MediaJsonContext.Default.StartStreamingResult);
    }

    private async ValueTask<RpcResult> StopStreamingAsync(RpcCallContext context, RpcParams p, CancellationToken ct)
    {
        var cameraId = p.GetRequiredString("device");
        RequireKnown(cameraId);
        var backend = Backend;
        var before = await backend.GetStreamAsync(cameraId, ct).ConfigureAwait(false);
        var after = await backend.StopStreamingAsync(cameraId, ct).ConfigureAwait(false);
        var end = time.GetUtcNow();
        var continues = after.State is StreamState.Active or StreamState.Starting || recordings.GetStatus(cameraId) is { Status: RecordingStatus.Recording };
        var start = before.StartTime;
        return RpcResult.From(
            new StopStreamingResult(cameraId, after.Name, "STOPPED", start is { } st ? Iso(st) : null, Iso(end),
                start is { } s0 ? Math.Round((end - s0).TotalSeconds, 3) : 0, continues),
            MediaJsonContext.Default.StopStreamingResult);
    }

    private async ValueTask<RpcResult> GetStreamUrlAsync(RpcCallContext context, RpcParams p, CancellationToken ct)
    {
        var cameraId = p.GetRequiredString("device");
        RequireKnown(cameraId);
        var backend = Backend;
        var urls = backend.GetStreamUrls(cameraId);
        var info = await backend.GetStreamAsync(cameraId, ct).ConfigureAwait(false);
        var status = info.State == StreamState.Error ? "ERROR" : info.Ready ? "READY" : "NOT_READY";
        var connected = cameras.Lookup(cameraId).Connected;
        return RpcResult.From(
            new StreamUrlResult(cameraId, info.Name, SignOwnStreamUrl(cameraId, PrimaryUrl(urls)), connected && info.State != StreamState.Error, info.Readers, status,
                new StreamUrlsDto(SignOwnStreamUrl(cameraId, urls.Rtsp), SignOwnStreamUrl(cameraId, urls.Hls), SignOwnStreamUrl(cameraId, urls.WebRtc))),
            MediaJsonContext.Default.StreamUrlResult);
    }

    private async ValueTask<RpcResult> GetStreamStatusAsync(RpcCallContext context, RpcParams p, CancellationToken ct)
    {
        var cameraId = p.GetRequiredString("device");
        RequireKnown(cameraId);
        var info = await Backend.GetStreamAsync(cameraId, ct).ConfigureAwait(false);
        return RpcResult.From(
            new StreamStatusResult(cameraId, info.Name, info.State.ToString().ToUpperInvariant(), info.Ready, info.Readers, info.BytesSent,
                info.StartTime is { } s ? Iso(s) : null),
            MediaJsonContext.Default.StreamStatusResult);
    }

    private async ValueTask<RpcResult> GetStreamsAsync(RpcCallContext context, RpcParams p, CancellationToken ct)
    {
        var streams = await Backend.GetStreamsAsync(ct).ConfigureAwait(false);
        var scope = context.Session.Principal?.Scope ?? CameraScope.All;
        IReadOnlyList<StreamListItem> items = [.. streams.Where(s => scope.Allows(s.Name)).Select(s => new StreamListItem(s.Name, s.Source, s.Ready, s.Readers, s.BytesSent))];
        return RpcResult.From(items, MediaJsonContext.Default.IReadOnlyListStreamListItem);
    }

    private async ValueTask<RpcResult> ListAsync(RpcCallContext context, MediaKind kind, RpcParams p, CancellationToken ct)
    {
        var limit = (int)(p.GetInt64("limit") ?? 50);
        var offset = (int)Math.Min(p.GetInt64("offset") ?? 0, int.MaxValue);
        var scope = context.Session.Principal?.Scope;
        Task<MediaPage> Scoped(MediaQuery query, CancellationToken token) => ScopedListing.ListAsync(Store, kind, query, scope, token);
        (List<MediaFile> Files, int Total) page;
        if (p.GetString("cursor") is { } cursor)
        {
            page = offset == 0
                ? await ListCursor.AfterAsync(Scoped, p.GetString("device"), cursor, limit, ct).ConfigureAwait(false)
                : throw RpcErrorException.InvalidParams("offset", "use either offset or cursor");
        }
        else
        {
            var listed = await Scoped(new MediaQuery { Offset = offset, Limit = limit, CameraId = p.GetString("device") }, ct).ConfigureAwait(false);
            page = ([.. listed.Files], listed.Total);
        }

        var files = page.Files
            .Select(f => new FileListItem(f.FileName, f.CameraId, f.Size, Iso(f.Modified), Seconds(f.Duration), DownloadUrl(kind, f.FileName), f.InProgress, FileFormats.Of(f.FileName)))
            .ToList();
        var next = page.Files.Count == limit ? ListCursor.Of(page.Files[^1]) : null;
        return RpcResult.From(new FileListResult(files, page.Total, limit, offset, next), MediaJsonContext.Default.FileListResult);
    }

    private async ValueTask<RpcResult> GetInfoAsync(MediaKind kind, RpcParams p, CancellationToken ct)
    {
        var f = await Store.GetAsync(kind, p.GetRequiredString("filename"), ct).ConfigureAwait(false);
        return RpcResult.From(
            new FileInfoResult(f.FileName, f.CameraId, f.Size, Seconds(f.Duration), Iso(f.Created), Iso(f.Modified), DownloadUrl(kind, f.FileName), f.InProgress, FileFormats.Of(f.FileName)),
            MediaJsonContext.Default.FileInfoResult);
    }

    private async ValueTask<RpcResult> DeleteAsync(MediaKind kind, RpcParams p, CancellationToken ct)
    {
        var f = await Store.DeleteAsync(kind, p.GetRequiredString("filename"), ct).ConfigureAwait(false);
        var what = kind == MediaKind.Recording ? "Recording" : "Snapshot";
        return RpcResult.From(new DeleteResult(f.FileName, true, $"{what} {f.FileName} deleted ({f.Size} bytes freed)."), MediaJsonContext.Default.DeleteResult);
    }

    private ValueTask<RpcResult> GetStorageInfo(RpcCallContext context, RpcParams p, CancellationToken ct)
    {
        var s = Store.GetStatus();
        return ValueTask.FromResult(RpcResult.From(
            new StorageInfoResult(s.TotalBytes, s.UsedBytes, s.AvailableBytes, Math.Round(s.UsagePercent, 2), s.RecordingsBytes, s.SnapshotsBytes,
                s.Level != StorageLevel.Ok, s.WarnPercent, s.BlockPercent, s.Level.ToString().ToUpperInvariant()),
            MediaJsonContext.Default.StorageInfoResult));
    }

    private async ValueTask<RpcResult> SetRetentionPolicyAsync(RpcCallContext context, RpcParams p, CancellationToken ct)
    {
        var policy = new RetentionPolicy
        {
            PolicyType = p.GetRequiredString("policy_type"),
            Enabled = p.GetBoolean("enabled") ?? false,
            MaxAgeDays = p.GetDouble("max_age_days"),
            MaxSizeGb = p.GetDouble("max_size_gb"),
            MinFreePercent = p.GetDouble("min_free_percent"),
        };
        if (policy.PolicyType == "age" && policy.MaxAgeDays is null)
        {
            throw RpcErrorException.InvalidParams("max_age_days", "required when policy_type is age");
        }

        if (policy.PolicyType == "size" && policy.MaxSizeGb is null)
        {
            throw RpcErrorException.InvalidParams("max_size_gb", "required when policy_type is size");
        }

        var stored = await Store.SetRetentionPolicyAsync(policy, ct).ConfigureAwait(false);
        return RpcResult.From(
            new RetentionPolicyResult(stored.PolicyType, stored.Enabled, stored.MaxAgeDays, stored.MaxSizeGb, stored.MinFreePercent,
                $"Retention policy '{stored.PolicyType}' stored ({(stored.Enabled ? "enabled" : "disabled")}); it survives restarts."),
            MediaJsonContext.Default.RetentionPolicyResult);
    }

    private async ValueTask<RpcResult> CleanupAsync(RpcCallContext context, RpcParams p, CancellationToken ct)
    {
        var r = await Store.CleanupAsync(ct).ConfigureAwait(false);
        return RpcResult.From(new CleanupResultDto(true, r.FilesDeleted, r.BytesFreed, r.Message), MediaJsonContext.Default.CleanupResultDto);
    }

    private CameraLookup RequireKnown(string cameraId)
    {
        var camera = cameras.Lookup(cameraId);
        return camera.Known ? camera : throw new ResourceNotFoundException("camera", cameraId);
    }

    private CameraLookup RequireConnected(string cameraId)
    {
        var camera = RequireKnown(cameraId);
        return camera.Connected
            ? camera
            : throw new InvalidStateException("camera_not_connected", camera.State, $"{cameraId} is {camera.State}; reconnect the camera and try again.");
    }

    private string DownloadUrl(MediaKind kind, string fileName)
    {
        var folder = kind == MediaKind.Recording ? "recordings" : "snapshots";
        var token = access.SignResource($"{folder}/{fileName}", DownloadTtl);
        return publicEndpoint.BuildUrl($"/files/{folder}/{Uri.EscapeDataString(fileName)}", token);
    }

    /// <summary>
    /// Every stream URL the API returns carries a short-lived token signed for <c>streams/&lt;camera&gt;</c> and bound to
    /// the caller's credential (api-contract §8.5): the service's own HLS checks it, MediaMTX sends it to
    /// <c>POST /mediamtx/auth</c> (players cannot send an Authorization header). Revoking the credential ends it.
    /// </summary>
    private string? SignOwnStreamUrl(string cameraId, string? url)
    {
        if (url is null || url.Contains('?', StringComparison.Ordinal))
        {
            return url;
        }

        return url + "?token=" + Uri.EscapeDataString(access.SignResource($"streams/{cameraId}", _streamTokenTtl));
    }

    private static string? PrimaryUrl(StreamUrls urls) => urls.Rtsp ?? urls.Hls ?? urls.WebRtc;

    private static double? Seconds(TimeSpan? duration) => duration is { } d ? Math.Round(d.TotalSeconds, 3) : null;

    internal static string Iso(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static TimeSpan ReadDuration(IConfiguration configuration, string key, TimeSpan fallback)
    {
        var text = configuration[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        if (CameraService.Shared.DurationText.TryParse(text, out var value) && value > TimeSpan.Zero)
        {
            return value;
        }

        throw new InvalidOperationException($"{key}: must be a positive duration such as '1h' or '01:00:00' (got '{text}')");
    }
}
