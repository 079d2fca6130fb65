using BenchmarkDotNet.Attributes;
using CameraService.Abstractions.Api;
using CameraService.Core.Events;
using Microsoft.Extensions.DependencyInjection;

namespace CameraService.Benchmarks;

/// <summary>
/// One <c>camera_status_update</c> through the event hub to <see cref="Sessions"/> authenticated sessions: serialize
/// once, then per session the subscription and credential check and the hand-over to the transport (a copy into a
/// pooled array, as the WebSocket transport's queue does). The socket writes are not in it (<c>perf/run.sh fanout</c>).
/// </summary>
[MemoryDiagnoser]
public class NotificationBenchmarks
{
    private CoreFixture _core = null!;
    private IEventPublisher _hub = null!;
    private List<IRpcSession> _sessions = null!;
    private CameraStatusEvent _event = null!;

    [Params(1_000, 10_000)]
    public int Sessions { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _core = new CoreFixture();
        _hub = _core.Services.GetRequiredService<IEventPublisher>();
        _sessions = [.. Enumerable.Range(0, Sessions).Select(i => _core.Authenticated(new BenchConnection("bench-" + i)))];
        _event = new CameraStatusEvent("camera0", "CONNECTED", "Bench Camera 0", "1280x720", 30, new CameraStreams("rtsp://127.0.0.1:8554/camera0", null, null), "bench-0", false, null, null, null);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var session in _sessions)
        {
            session.Dispose();
        }

        _core.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark]
    public int PublishCameraStatus() => _hub.PublishCameraStatus(_event, EventTopics.CameraStatusChange);
}
