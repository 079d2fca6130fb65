using System.Collections.Concurrent;
using System.Diagnostics;
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
        var wall = Stopwatch.StartNew();
        Assert.Equal("RECORDING", started.Status);
        await Task.Delay(TimeSpan.FromSeconds(4));

        var stopped = await Client.StopRecordingAsync("camera0");
        wall.Stop();

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

        // Publisher start-up eats part of the wall time; the recorded duration must be within 1.5 s of it.
        Assert.InRange(total, wall.Elapsed.TotalSeconds - 2.5, wall.Elapsed.TotalSeconds + 1);
        var second = await Assert.ThrowsAsync<InvalidStateException>(() => Client.StopRecordingAsync("camera0"));
        Assert.Equal(started.SessionId, second.DataString("last_session_id"));
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
}
