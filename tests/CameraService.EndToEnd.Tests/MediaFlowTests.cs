using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using CameraService.Client;

namespace CameraService.EndToEnd.Tests;

/// <summary>
/// The media flows of api-contract.md §4 through the WebSocket API against the real host process with the
/// test-pattern source and real files. Subclasses pick the stream backend.
/// </summary>
public abstract class MediaFlowTests<TFixture>(TFixture fixture) : IClassFixture<TFixture>
    where TFixture : ServiceFixture
{
    protected TFixture Fixture { get; } = fixture;

    protected ServiceProcess Service => Fixture.Service;

    protected CameraServiceClient Client => Fixture.Client;

    protected ConcurrentQueue<RecordingStatusUpdate> RecordingEvents => Fixture.RecordingEvents;

    protected string Root => Fixture.Root;

    /// <summary>Whether the backend records MKV (the MediaMTX backend refuses it with -32030).</summary>
    protected abstract bool RecordsMkv { get; }

    /// <summary>How long the unlimited recording test lets the camera record.</summary>
    private static TimeSpan RecordFor => TimeSpan.FromSeconds(4);

    [Fact]
    public async Task TakeSnapshot_DownloadUrl_ReturnsJpegOfConfiguredSize()
    {
        var shot = await Client.TakeSnapshotAsync("camera0");

        Assert.Equal("SUCCESS", shot.Status);
        using var http = new HttpClient();
        var bytes = await http.GetByteArrayAsync(new Uri(shot.DownloadUrl));
        Assert.Equal(shot.FileSize, bytes.Length);
        Assert.Equal([0xFF, 0xD8], bytes[..2]);
        var path = Path.Combine(Root, $"download-{Guid.NewGuid():N}.jpg");
        await File.WriteAllBytesAsync(path, bytes);
        var probe = await Media.ProbeAsync(path);
        Assert.Equal((320, 240), (probe.Width, probe.Height));
    }

    [Fact]
    public async Task Recording_Unlimited_StopReturnsPlayableH264Files()
    {
        var started = await Client.StartRecordingAsync("camera0");
        Assert.Equal("RECORDING", started.Status);
        await Task.Delay(RecordFor);

        // The camera object carries the recording (api-contract.md §8.1), in the list and in the status.
        var listed = (await Client.GetCameraListAsync()).Cameras.Single(c => c.Device == "camera0");
        Assert.True(listed.Recording);
        Assert.Equal(started.SessionId, listed.RecordingSession);
        Assert.InRange(listed.ElapsedTime ?? -1, 3.0, 600);
        var status = await Client.GetCameraStatusAsync("camera0");
        Assert.True(status.Recording);
        Assert.Equal(started.SessionId, status.RecordingSession);
        Assert.True(status.ElapsedTime >= listed.ElapsedTime);
        Assert.True(status.Metrics is { Uptime: > 0 }, "get_camera_status has its metrics");
        Assert.NotEmpty(status.Capabilities!.Formats);

        var stopped = await Client.StopRecordingAsync("camera0");
        var idle = await Client.GetCameraStatusAsync("camera0");
        Assert.False(idle.Recording);
        Assert.Null(idle.RecordingSession);
        Assert.Null(idle.CurrentFile);
        Assert.Null(idle.ElapsedTime);

        // current_file named a segment of this recording, or nothing yet (the ffmpeg backend reports a segment once complete).
        Assert.True(status.CurrentFile is null || stopped.Files.Any(f => f.Filename == status.CurrentFile), status.CurrentFile);

        Assert.Equal("STOPPED", stopped.Status);
        Assert.Equal(started.SessionId, stopped.SessionId);
        Assert.NotEmpty(stopped.Files);
        double total = 0;
        foreach (var file in stopped.Files)
        {
            var path = Directory.EnumerateFiles(Path.Combine(Service.MediaRoot, "recordings"), file.Filename, SearchOption.AllDirectories).Single();
            Assert.Equal(file.FileSize, new FileInfo(path).Length);
            var probe = await Media.ProbeAsync(path);
            Assert.Equal("h264", probe.Codec);
            total += probe.Duration;
        }

        // The files hold at least the time the test let the camera record (between start_recording answering and
        // stop_recording being sent) less the publisher's start-up to its first keyframe, and no more than the session
        // as the service reports it (start_time → end_time, its own clock) — no stopwatch of the test, whose reading
        // would include API and scheduling latency.
        Assert.Equal((stopped.EndTime - stopped.StartTime).TotalSeconds, stopped.Duration, 1);
        Assert.InRange(total, RecordFor.TotalSeconds - 2, stopped.Duration + 1);
        var second = await Assert.ThrowsAsync<InvalidStateException>(() => Client.StopRecordingAsync("camera0"));
        Assert.Equal(started.SessionId, second.DataString("last_session_id"));
    }

    [Fact]
    public async Task Recording_Mkv_PlayableMatroskaFilesListedWithFormat_OrRefusedNamingTheBackend()
    {
        if (!RecordsMkv)
        {
            var refused = await Assert.ThrowsAnyAsync<CameraServiceApiException>(() => Client.StartRecordingAsync("camera0", format: "mkv"));
            Assert.Equal(-32030, refused.Code);
            Assert.Contains("mediamtx", refused.DataString("feature"), StringComparison.Ordinal);
            Assert.Contains("ffmpeg backend", refused.DataString("message"), StringComparison.Ordinal);
            Assert.NotEqual("RECORDING", (await Client.GetRecordingStatusAsync("camera0")).Status);
            return;
        }

        var started = await Client.StartRecordingAsync("camera0", format: "mkv");
        Assert.Equal("mkv", started.Format);
        await Task.Delay(TimeSpan.FromSeconds(3));
        var stopped = await Client.StopRecordingAsync("camera0");

        Assert.Equal("mkv", stopped.Format);
        Assert.NotEmpty(stopped.Files);
        var listed = new List<MediaFile>();
        for (var offset = 0; ; offset += 100)
        {
            var page = await Client.ListRecordingsAsync(100, offset, "camera0");
            listed.AddRange(page.Files);
            if (page.Files.Count < 100)
            {
                break;
            }
        }

        foreach (var file in stopped.Files)
        {
            Assert.EndsWith(".mkv", file.Filename, StringComparison.Ordinal);
            Assert.Equal("mkv", file.Format);
            var path = Directory.EnumerateFiles(Path.Combine(Service.MediaRoot, "recordings"), file.Filename, SearchOption.AllDirectories).Single();
            Assert.Equal(file.FileSize, new FileInfo(path).Length);
            Assert.StartsWith("matroska", await Media.ContainerAsync(path), StringComparison.Ordinal);
            Assert.Equal("h264", (await Media.ProbeAsync(path)).Codec);
            Assert.Equal("mkv", Assert.Single(listed, f => f.Filename == file.Filename).Format);
            var info = await Client.GetRecordingInfoAsync(file.Filename);
            Assert.Equal("mkv", info.Format);
            Assert.True(info.Duration > 0, "the finalized MKV segment's duration is read from its Segment Info");
        }
    }

    [Fact]
    public async Task RecordingProgress_Subscribed_ReportsGrowingSizesOfTheRunningRecording()
    {
        await using var watcher = await Fixture.ConnectAsync();
        var progress = new ConcurrentQueue<RecordingProgressUpdate>();
        watcher.RecordingProgress += (_, e) => progress.Enqueue(e);
        await watcher.SubscribeAsync(["recording.progress"], "camera1");
        var started = await Client.StartRecordingAsync("camera1");
        try
        {
            Assert.True(await Media.WaitUntil(() => progress.Count(p => p.SessionId == started.SessionId) >= 3, TimeSpan.FromSeconds(30)),
                "fewer than 3 recording_progress (Recording:ProgressInterval 1s):\n" + Service.Log);
        }
        finally
        {
            await Client.StopRecordingAsync("camera1");
        }

        var ours = progress.Where(p => p.SessionId == started.SessionId).ToList();
        Assert.All(ours, p => Assert.Equal("camera1", p.Device));
        Assert.True(ours[^1].FileSize > ours[0].FileSize, "file_size grows: " + string.Join(", ", ours.Select(p => p.FileSize)));
        Assert.True(ours[^1].ElapsedTime > ours[0].ElapsedTime);
    }

    [Fact]
    public async Task Schedule_WindowOpenThenClosed_RecordsWithReasonScheduleIntoPlayableFiles()
    {
        string[] week = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        var always = new ScheduleWindow(week, "00:00", "24:00");
        try
        {
            var set = await Client.SetRecordingScheduleAsync("camera1", true, [always], "UTC");
            Assert.True(set.Active);
            Assert.True(await Media.WaitUntil(() => RecordingEvents.Any(e => e.Device == "camera1" && e.Status == "STARTED" && e.Reason == "schedule"), TimeSpan.FromSeconds(30)),
                "the open window started no recording:\n" + Service.Log);
            var session = RecordingEvents.Last(e => e.Device == "camera1" && e.Status == "STARTED").SessionId;
            Assert.True((await Client.GetCameraStatusAsync("camera1")).Recording);
            Assert.Contains((await Client.ListRecordingSchedulesAsync()).Schedules, s => s.Device == "camera1" && s.Active);
            await Task.Delay(TimeSpan.FromSeconds(3));

            // The window closes (the schedule now has none): the recording the schedule started stops, with its files.
            await Client.SetRecordingScheduleAsync("camera1", true, [], "UTC");
            Assert.True(await Media.WaitUntil(() => RecordingEvents.Any(e => e.SessionId == session && e.Status == "STOPPED"), TimeSpan.FromSeconds(30)),
                "the closed window did not stop the scheduled recording:\n" + Service.Log);
            Assert.Equal("schedule", RecordingEvents.Single(e => e.SessionId == session && e.Status == "STOPPED").Reason);
            var files = (await Client.ListRecordingsAsync(device: "camera1", limit: 1000)).Files;
            var recorded = Directory.EnumerateFiles(Path.Combine(Service.MediaRoot, "recordings"), "*", SearchOption.AllDirectories)
                .Where(f => files.Any(m => m.Filename == Path.GetFileName(f))).ToList();
            Assert.NotEmpty(recorded);
            Assert.Equal("h264", (await Media.ProbeAsync(recorded[^1])).Codec);
        }
        finally
        {
            await Client.SetRecordingScheduleAsync("camera1", false, [always], "UTC");
            if ((await Client.GetCameraStatusAsync("camera1")).Recording)
            {
                await Client.StopRecordingAsync("camera1");
            }
        }
    }

    [Fact]
    public async Task Recording_Timed_StopsItselfAndNotifies()
    {
        var started = await Client.StartRecordingAsync("camera0", TimeSpan.FromSeconds(2));
        Assert.Equal(2, started.Duration);

        Assert.True(await Media.WaitUntil(() => RecordingEvents.Any(e => e.SessionId == started.SessionId && e.Status == "STOPPED"), TimeSpan.FromSeconds(30)),
            "no recording_status_update STOPPED for the timed recording:\n" + Service.Log);
        var status = await Client.GetRecordingStatusAsync("camera0");
        Assert.Equal("STOPPED", status.Status);
        Assert.Equal(started.SessionId, status.SessionId);
        var files = await Client.ListRecordingsAsync(device: "camera0");
        Assert.NotEmpty(files.Files);
    }

    [Fact]
    public async Task Files_ListInfoRangeDownloadDelete()
    {
        var shot = await Client.TakeSnapshotAsync("camera0");

        var list = await Client.ListSnapshotsAsync(device: "camera0");
        Assert.Contains(list.Files, f => f.Filename == shot.Filename);
        var info = await Client.GetSnapshotInfoAsync(shot.Filename);
        Assert.Equal(shot.FileSize, info.FileSize);
        Assert.Equal("jpeg", info.Format);
        Assert.Equal("jpeg", list.Files.Single(f => f.Filename == shot.Filename).Format);

        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, info.DownloadUrl);
        request.Headers.Range = new RangeHeaderValue(0, 9);
        using var partial = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(10, (await partial.Content.ReadAsByteArrayAsync()).Length);

        using var unsigned = await http.GetAsync(new Uri($"{Service.BaseUrl}/files/snapshots/{shot.Filename}"));
        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);

        var deleted = await Client.DeleteSnapshotAsync(shot.Filename);
        Assert.True(deleted.Deleted);
        await Assert.ThrowsAsync<NotFoundException>(() => Client.GetSnapshotInfoAsync(shot.Filename));
        await Assert.ThrowsAsync<InvalidParamsException>(() => Client.DeleteSnapshotAsync("../state/jwt-secret"));
    }

    [Fact]
    public async Task UnknownCamera_IsNotFound()
    {
        var error = await Assert.ThrowsAsync<NotFoundException>(() => Client.StartRecordingAsync("camera99"));
        Assert.Equal("camera", error.DataString("resource"));
    }

    [Fact]
    public async Task Recording_StatusListingMetricsAndNotifications_DuringAndAfterSession()
    {
        await Assert.ThrowsAsync<InvalidParamsException>(() => Client.CallAsync("start_recording",
            new Dictionary<string, object?> { ["device"] = "camera0", ["duration"] = 5, ["duration_seconds"] = 5 }));
        Assert.Equal("STOPPED", (await Client.GetRecordingStatusAsync("camera0")).Status);

        var started = await Client.CallAsync("start_recording", new Dictionary<string, object?> { ["device"] = "camera0", ["duration_minutes"] = 1 });
        var sessionId = started.GetProperty("session_id").GetString()!;
        Assert.Equal(60, started.GetProperty("duration").GetInt32());
        try
        {
            await Assert.ThrowsAsync<InvalidStateException>(() => Client.StartRecordingAsync("camera0"));
            Assert.True(await Media.WaitUntilAsync(async () => (await Client.ListRecordingsAsync(device: "camera0")).Files.Any(f => f.InProgress), TimeSpan.FromSeconds(20)),
                "no in-progress recording listed:\n" + Service.Log);
            var status = await Client.GetRecordingStatusAsync("camera0");
            Assert.Equal("RECORDING", status.Status);
            Assert.Equal(sessionId, status.SessionId);
            Assert.Equal(60, status.DurationLimit);
            Assert.True(status.ElapsedSeconds > 0);

            var growing = (await Client.ListRecordingsAsync(device: "camera0")).Files.First(f => f.InProgress);
            var refused = await Assert.ThrowsAsync<InvalidStateException>(() => Client.DeleteRecordingAsync(growing.Filename));
            Assert.Equal("recording_in_progress", refused.DataString("reason"));

            var metrics = await Client.GetMetricsAsync();
            Assert.Equal(1, metrics.GetProperty("recording_metrics").GetProperty("active_recordings").GetInt32());
        }
        finally
        {
            await Client.StopRecordingAsync("camera0");
        }

        Assert.True(await Media.WaitUntil(() => RecordingEvents.Count(e => e.SessionId == sessionId && e.Status == "STOPPED") == 1, TimeSpan.FromSeconds(10)));
        Assert.Single(RecordingEvents, e => e.SessionId == sessionId && e.Status == "STARTED");
        Assert.Equal(0, (await Client.GetMetricsAsync()).GetProperty("recording_metrics").GetProperty("active_recordings").GetInt32());

        // Once finished the files are listed with a duration and can be deleted.
        // (The store keeps a just-written file "in progress" for Storage:InProgressWindow after its last write.)
        Assert.True(await Media.WaitUntilAsync(async () => !(await Client.ListRecordingsAsync(device: "camera0")).Files[0].InProgress, TimeSpan.FromSeconds(20)),
            "the finished recording stayed in progress");
        var last = (await Client.ListRecordingsAsync(device: "camera0")).Files[0];
        Assert.True(last.Duration > 0, $"no duration for {last.Filename}");
        var info = await Client.GetRecordingInfoAsync(last.Filename);
        Assert.Equal(last.FileSize, info.FileSize);
        Assert.True((await Client.DeleteRecordingAsync(last.Filename)).Deleted);
        Assert.False(File.Exists(Path.Combine(Service.MediaRoot, "recordings", "camera0", last.Filename)));
        await Assert.ThrowsAsync<NotFoundException>(() => Client.GetRecordingInfoAsync(last.Filename));
    }

    [Fact]
    public async Task Streaming_StartStatusStop_NeverStopsARecording()
    {
        var started = await Client.StartStreamingAsync("camera1");
        Assert.Equal("STARTED", started.Status);
        Assert.NotNull(started.StreamUrl);
        Assert.True(await Media.WaitUntilAsync(async () => (await Client.GetStreamStatusAsync("camera1")).Status == "ACTIVE", TimeSpan.FromSeconds(20)),
            "the stream never became ACTIVE:\n" + Service.Log);
        Assert.Contains(await Client.GetStreamsAsync(), e => e.Name == "camera1");
        var url = await Client.GetStreamUrlAsync("camera1");
        Assert.True(url.Available);

        var recordings = Path.Combine(Service.MediaRoot, "recordings");
        string[] Camera1Files() => Directory.Exists(recordings) ? Directory.EnumerateFiles(recordings, "*camera1*", SearchOption.AllDirectories).ToArray() : [];
        var before = Camera1Files().ToHashSet(StringComparer.Ordinal);
        var recording = await Client.StartRecordingAsync("camera1");
        try
        {
            var stopped = await Client.StopStreamingAsync("camera1");
            Assert.Equal("STOPPED", stopped.Status);
            Assert.True(stopped.StreamContinues, "stop_streaming during a recording must report that the stream continues");
            var status = await Client.GetRecordingStatusAsync("camera1");
            Assert.Equal("RECORDING", status.Status);
            Assert.Equal(recording.SessionId, status.SessionId);

            // Media reached the disk before the stop (MediaMTX writes a segment's first part a second in), so the stop
            // below has a playable file to list.
            Assert.True(
                await Media.WaitUntil(() => Camera1Files().Any(f => !before.Contains(f) && new FileInfo(f).Length > 4000), TimeSpan.FromSeconds(20)),
                "the recording wrote nothing:\n" + Service.Log);
        }
        finally
        {
            var done = await Client.StopRecordingAsync("camera1");
            Assert.NotEmpty(done.Files);
        }

        await Assert.ThrowsAsync<NotFoundException>(() => Client.GetStreamStatusAsync("camera42"));
    }

    [Fact]
    public async Task Storage_InfoRetentionAndCleanup_Work()
    {
        var info = await Client.GetStorageInfoAsync();
        Assert.True(info.TotalSpace > 0);
        Assert.InRange(info.UsedSpace, 1, info.TotalSpace);
        Assert.InRange(info.AvailableSpace, 1, info.TotalSpace);
        Assert.InRange(info.UsagePercentage, 0, 100);
        Assert.True(info.WarnPercent <= info.BlockPercent);

        var policy = await Client.SetRetentionPolicyAsync(new RetentionPolicy("age", Enabled: false, MaxAgeDays: 30));
        Assert.Equal("age", policy.PolicyType);
        Assert.Equal(30, policy.MaxAgeDays);
        Assert.True(File.Exists(Path.Combine(Root, "state", "plugins", "storage", "storage-retention.json")));
        await Assert.ThrowsAsync<InvalidParamsException>(() => Client.SetRetentionPolicyAsync(new RetentionPolicy("size", Enabled: true)));

        var shot = await Client.TakeSnapshotAsync("camera1");
        var cleanup = await Client.CleanupOldFilesAsync();
        Assert.True(cleanup.CleanupExecuted);
        Assert.Equal(0, cleanup.FilesDeleted); // nothing is 30 days old
        Assert.Equal(shot.FileSize, (await Client.GetSnapshotInfoAsync(shot.Filename)).FileSize);
    }

    [Fact]
    public async Task TakeSnapshot_SubscribedSession_ReceivesSnapshotTakenOnce()
    {
        await using var watcher = await Fixture.ConnectAsync();
        var seen = new ConcurrentQueue<SnapshotTaken>();
        watcher.SnapshotTaken += (_, e) => seen.Enqueue(e);
        await watcher.SubscribeAsync(["snapshot.taken"], device: "camera1");

        var other = await Client.TakeSnapshotAsync("camera0");
        var shot = await Client.TakeSnapshotAsync("camera1");

        Assert.True(await Media.WaitUntil(() => seen.Any(e => e.Filename == shot.Filename), TimeSpan.FromSeconds(10)), "no snapshot_taken for camera1");
        var e = Assert.Single(seen);
        Assert.Equal("camera1", e.Device);
        Assert.Equal(shot.FileSize, e.FileSize);
        Assert.DoesNotContain(seen, x => x.Filename == other.Filename);
    }
}
