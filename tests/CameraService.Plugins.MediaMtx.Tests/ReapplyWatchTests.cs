using CameraService.Abstractions;
using CameraService.Abstractions.Streaming;

namespace CameraService.Plugins.MediaMtx.Tests;

/// <summary>
/// Issue 22: a MediaMTX that comes back (restarted, or down and up again) gets its paths re-applied by the fast watch,
/// not only by the periodic reconciliation — here switched off in effect (one pass per hour), so only the watch can do it.
/// </summary>
public sealed class ReapplyWatchTests : BackendTestBase
{
    protected override void Configure() => Settings["Plugins:MediaMtx:ReconcileInterval"] = "01:00:00";

    [Fact]
    public async Task QuickRestart_NeverSeenDown_PathsAndRecordingReappliedByTheWatch()
    {
        await Backend.PublishAsync(Camera(), CancellationToken.None);
        await Backend.StartRecordingAsync(
            new RecordingRequest { CameraId = "camera0", SessionId = "s1", Format = "fmp4", OutputDirectory = Path.Combine(Recordings, "camera0"), StartTime = DateTimeOffset.UtcNow },
            CancellationToken.None);
        Emu.Restart();
        Assert.DoesNotContain("camera0", Emu.ConfiguredPaths());

        await WaitUntil(() => Emu.ConfiguredPaths().Contains("camera0"), TimeSpan.FromSeconds(15));
        Assert.True(Emu.PathConf("camera0")!["record"]!.GetValue<bool>(), "the recording is re-applied with the path");
        await WaitUntil(() => EventsOf(StreamBackendEventKind.StateReapplied).Count > 0, TimeSpan.FromSeconds(10));
        Assert.Contains(EventsOf(StreamBackendEventKind.RecordingRecovered), e => e.CameraId == "camera0");
    }

    [Fact]
    public async Task DownThenUp_PathsReappliedOnceItAnswers()
    {
        await Backend.PublishAsync(Camera(), CancellationToken.None);
        await Emu.StopAsync(CancellationToken.None);
        await WaitUntil(() => Backend.GetHealth().State == ComponentState.Error, TimeSpan.FromSeconds(10));
        Emu.Restart();

        await Emu.StartAsync(CancellationToken.None);

        await WaitUntil(() => Emu.ConfiguredPaths().Contains("camera0"), TimeSpan.FromSeconds(15));
        await WaitUntil(() => Backend.GetHealth().State == ComponentState.Running, TimeSpan.FromSeconds(10));
    }
}
