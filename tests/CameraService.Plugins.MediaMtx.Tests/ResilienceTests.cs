using CameraService.Abstractions;
using CameraService.Abstractions.Streaming;
using MediaMtxEmulator;

namespace CameraService.Plugins.MediaMtx.Tests;

public sealed class ResilienceTests : BackendTestBase
{
    [Fact]
    public async Task EmulatorRestart_WipesPaths_ReconciledWithoutDuplicates()
    {
        await Backend.PublishAsync(Camera(), CancellationToken.None);
        await Backend.PublishAsync(Camera("camera1"), CancellationToken.None);
        Emu.Restart();
        Assert.Equal(["all_others"], Emu.ConfiguredPaths());

        await WaitUntil(() => Emu.ConfiguredPaths().Count == 3, TimeSpan.FromSeconds(10));
        Assert.Equal(["all_others", "camera0", "camera1"], Emu.ConfiguredPaths());
        await WaitUntil(() => EventsOf(StreamBackendEventKind.StateReapplied).Count > 0, TimeSpan.FromSeconds(10));
        await Backend.ReconcileAsync(CancellationToken.None);
        Assert.Equal(["all_others", "camera0", "camera1"], Emu.ConfiguredPaths());
    }

    [Fact]
    public async Task Drift_ForeignEditOfOurPath_Repaired()
    {
        await Backend.PublishAsync(Camera(), CancellationToken.None);
        using var http = new HttpClient { BaseAddress = Emu.ApiUrl };
        using (var r = await http.PatchAsync("/v3/config/paths/patch/camera0", new StringContent("""{"recordFormat":"mpegts"}""")))
        {
            r.EnsureSuccessStatusCode();
        }

        await WaitUntil(() => Emu.PathConf("camera0")!["recordFormat"]!.GetValue<string>() == "fmp4", TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task ServerDown_FailsFastWithDependencyFailed_ThenHealsByItself()
    {
        await Backend.PublishAsync(Camera(), CancellationToken.None);
        await Emu.StopAsync(CancellationToken.None);

        var ex = await Assert.ThrowsAsync<DependencyFailedException>(() => Backend.GetStreamAsync("camera0", CancellationToken.None));
        Assert.Equal("mediamtx", ex.Dependency);
        Assert.Contains("MediaMTX unreachable at", ex.Detail, StringComparison.Ordinal);
        await WaitUntil(() => Backend.GetHealth().State == ComponentState.Error, TimeSpan.FromSeconds(10));
        Assert.StartsWith("MediaMTX unreachable at " + Settings["Plugins:MediaMtx:ApiUrl"], Backend.GetHealth().Message, StringComparison.Ordinal);

        // Repeated failures open the circuit: calls then fail without touching the network.
        await WaitUntilAsync(
            async () =>
            {
                try
                {
                    await Backend.GetStreamAsync("camera0", CancellationToken.None);
                    return false;
                }
                catch (DependencyFailedException e)
                {
                    return e.Detail.Contains("suspended", StringComparison.Ordinal);
                }
            },
            TimeSpan.FromSeconds(10));

        await Emu.StartAsync(CancellationToken.None);
        await WaitUntil(() => Emu.ConfiguredPaths().Contains("camera0"), TimeSpan.FromSeconds(15));
        await WaitUntil(() => Backend.GetHealth().State == ComponentState.Running, TimeSpan.FromSeconds(10));
        Assert.NotNull(Backend.GetHealth().LastError);
        Assert.Contains(EventsOf(StreamBackendEventKind.HealthChanged), e => e.Reason.Contains("unreachable", StringComparison.Ordinal));
        var info = await Backend.GetStreamAsync("camera0", CancellationToken.None);
        Assert.Equal("camera0", info.Name);
    }

    [Fact]
    public async Task Server500s_OpenCircuit_RecoverAfterBreak()
    {
        await Backend.PublishAsync(Camera(), CancellationToken.None);
        Emu.Fail(new FaultRule("/v3/paths/get", "status", 500, "terminated"));
        var first = await Assert.ThrowsAsync<DependencyFailedException>(() => Backend.GetStreamAsync("camera0", CancellationToken.None));
        Assert.Contains("500", first.Detail, StringComparison.Ordinal);
        await WaitUntilAsync(
            async () =>
            {
                try
                {
                    await Backend.GetStreamAsync("camera0", CancellationToken.None);
                    return false;
                }
                catch (DependencyFailedException e)
                {
                    return e.Detail.Contains("suspended", StringComparison.Ordinal);
                }
            },
            TimeSpan.FromSeconds(10));
        Emu.ClearFaults();
        await WaitUntilAsync(
            async () =>
            {
                try
                {
                    return (await Backend.GetStreamAsync("camera0", CancellationToken.None)).Name == "camera0";
                }
                catch (DependencyFailedException)
                {
                    return false;
                }
            },
            TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task SlowAnswers_TimeOutAsDependencyFailed()
    {
        Settings["Plugins:MediaMtx:RequestTimeout"] = "00:00:01";
        Settings["Plugins:MediaMtx:RetryCount"] = "0";
        var backend = await CreateBackendAsync();
        await backend.PublishAsync(Camera(), CancellationToken.None);
        Emu.Fail(new FaultRule("/v3/paths/get", "slow", DelayMs: 5000, Times: 1));
        var ex = await Assert.ThrowsAsync<DependencyFailedException>(() => backend.GetStreamAsync("camera0", CancellationToken.None));
        Assert.Contains("no answer within", ex.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TransientFailure_IdempotentCallRetried()
    {
        await Backend.PublishAsync(Camera(), CancellationToken.None);
        Emu.Fail(new FaultRule("/v3/paths/get", "reset", Times: 1));
        var info = await Backend.GetStreamAsync("camera0", CancellationToken.None);
        Assert.Equal("camera0", info.Name);
    }

    [Fact]
    public async Task TransientFailure_NonIdempotentPatchNotRetried_StateRolledBack()
    {
        await Backend.PublishAsync(Camera(), CancellationToken.None);
        Emu.Fail(new FaultRule("/v3/config/paths/patch", "status", 500, "terminated", Times: 1));
        var request = new RecordingRequest { CameraId = "camera0", SessionId = "s1", Format = "fmp4", OutputDirectory = Path.Combine(Recordings, "camera0"), StartTime = DateTimeOffset.UtcNow };
        await Assert.ThrowsAsync<DependencyFailedException>(() => Backend.StartRecordingAsync(request, CancellationToken.None));
        Assert.False(Emu.PathConf("camera0")!["record"]!.GetValue<bool>());
        await Backend.StartRecordingAsync(request, CancellationToken.None);
        Assert.True(Emu.PathConf("camera0")!["record"]!.GetValue<bool>());
    }
}

public sealed class AuthTests : BackendTestBase
{
    protected override void Configure()
    {
        EmulatorOptions.AuthInternalUsersJson = """[{"user":"camsvc","pass":"secret","ips":[],"permissions":[{"action":"api","path":""}]}]""";
        Settings["Plugins:MediaMtx:Username"] = "camsvc";
        Settings["Plugins:MediaMtx:Password"] = "secret";
    }

    [Fact]
    public async Task BasicAuth_ConfiguredCredentials_Work()
    {
        await Backend.PublishAsync(Camera(), CancellationToken.None);
        Assert.Contains("camera0", Emu.ConfiguredPaths());
    }

    [Fact]
    public async Task WrongCredentials_DependencyFailedSayingWhatToSet()
    {
        Settings["Plugins:MediaMtx:Password"] = "wrong";
        var backend = await CreateBackendAsync();
        var ex = await Assert.ThrowsAsync<DependencyFailedException>(() => backend.PublishAsync(Camera(), CancellationToken.None));
        Assert.Contains("401", ex.Detail, StringComparison.Ordinal);
        Assert.Contains("Plugins:MediaMtx:Username", ex.Detail, StringComparison.Ordinal);
    }
}

public sealed class RefusalTests : BackendTestBase
{
    [Fact]
    public async Task RefusedConfig_PublishFailsAsDependency_ReconcileDegradedNotError()
    {
        await Backend.PublishAsync(Camera(), CancellationToken.None);
        Emu.Fail(new FaultRule("/v3/config/paths/replace", "status", 400, "invalid source: 'x'"));
        var ex = await Assert.ThrowsAsync<DependencyFailedException>(() => Backend.PublishAsync(Camera("camera1"), CancellationToken.None));
        Assert.Contains("invalid source: 'x'", ex.Detail, StringComparison.Ordinal);

        Emu.Restart();

        // The loop may already have reported camera1 alone before the restart; after it, camera0 is refused too.
        await WaitUntil(() => Backend.GetHealth() is { State: ComponentState.Degraded, Message: { } m } && m.Contains("camera0", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        Assert.Contains("camera1", Backend.GetHealth().Message, StringComparison.Ordinal);
        Emu.ClearFaults();
        await WaitUntil(() => Backend.GetHealth().State == ComponentState.Running, TimeSpan.FromSeconds(10));
        Assert.Equal(["all_others", "camera0", "camera1"], Emu.ConfiguredPaths());
    }
}

public sealed class EventualConsistencyTests : BackendTestBase
{
    protected override void Configure() => EmulatorOptions.ApplyDelay = TimeSpan.FromMilliseconds(300);

    [Fact]
    public async Task AsyncConfigApply_RestartReconciledWithoutDuplicates_RecordingWorks()
    {
        await Backend.PublishAsync(Camera(), CancellationToken.None);
        await WaitUntil(() => Emu.ConfiguredPaths().Contains("camera0"), TimeSpan.FromSeconds(10));
        Emu.Restart();
        await WaitUntil(() => Emu.ConfiguredPaths().Contains("camera0"), TimeSpan.FromSeconds(10));

        // Instead of waiting for a while to see whether a duplicate turns up: let every accepted change land, run one
        // more reconciliation pass while reads may still be stale, and let its changes land too.
        await WaitUntil(() => Emu.PendingConfigChanges() == 0, TimeSpan.FromSeconds(10));
        await Backend.ReconcileAsync(CancellationToken.None);
        await WaitUntil(() => Emu.PendingConfigChanges() == 0, TimeSpan.FromSeconds(10));
        Assert.Equal(["all_others", "camera0"], Emu.ConfiguredPaths());

        await Backend.StartRecordingAsync(new RecordingRequest { CameraId = "camera0", SessionId = "s", Format = "fmp4", OutputDirectory = Path.Combine(Recordings, "camera0"), StartTime = DateTimeOffset.UtcNow }, CancellationToken.None);
        await WaitUntil(() => Emu.PathConf("camera0")!["record"]!.GetValue<bool>(), TimeSpan.FromSeconds(10));
        Emu.Advance(TimeSpan.FromSeconds(3));
        var stopped = await Backend.StopRecordingAsync("camera0", CancellationToken.None);

        // StopRecording waits until the change is in effect (the last segment is final then).
        Assert.False(Emu.PathConf("camera0")!["record"]!.GetValue<bool>());
        Assert.Single(stopped.Files);
    }
}
