using System.Text.Json;
using CameraService.Abstractions.Api;
using CameraService.Core.Events;
using CameraService.Core.Rpc;
using CameraService.Core.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;

namespace CameraService.Core.Tests;

public sealed class EventTests : IAsyncLifetime
{
    private readonly FakeCameraSource _source = new();
    private CoreHarness _core = null!;

    private IEventPublisher Publisher => _core.Services.GetRequiredService<IEventPublisher>();

    public async Task InitializeAsync()
    {
        _core = new CoreHarness(sources: _source);
        await _core.StartAsync();
    }

    public async Task DisposeAsync() => await _core.DisposeAsync();

    [Fact]
    public async Task CameraPlugged_AuthenticatedDefaultSession_ReceivesCameraStatusUpdate()
    {
        var connection = new FakeRpcConnection();
        await _core.AuthenticatedAsync(ApiRole.Viewer, connection);
        var (_, anonymous) = _core.Open();

        _source.Plug(FakeCameraSource.Camera("usb-1", "Desk Cam", "/dev/video0"));

        var message = Assert.Single(connection.Parsed);
        Assert.Equal("2.0", message.Str("jsonrpc"));
        Assert.Equal("camera_status_update", message.Str("method"));
        Assert.False(message.TryGetProperty("id", out _));
        var p = message.GetProperty("params");
        Assert.Equal("camera0", p.Str("device"));
        Assert.Equal("CONNECTED", p.Str("status"));
        Assert.Equal("Desk Cam", p.Str("name"));
        Assert.Equal("1280x720", p.Str("resolution"));
        Assert.Equal(30, p.GetProperty("fps").GetDouble());
        Assert.Equal("usb-1", p.Str("stable_id"));
        Assert.Equal(JsonValueKind.Object, p.GetProperty("streams").ValueKind);
        Assert.Empty(anonymous.Notifications);
    }

    [Fact]
    public async Task FanOut_DeliveredAndDroppedCounts_ReachMetricsOncePerEvent()
    {
        // Only this core's instruments (other tests run their own cores in parallel).
        var instruments = _core.Services.GetRequiredService<Metrics.ServiceMetrics>();
        var measurements = new System.Collections.Concurrent.ConcurrentQueue<(string Instrument, long Value, string? Method)>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument, instruments.NotificationsSent) || ReferenceEquals(instrument, instruments.NotificationsDropped))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => measurements.Enqueue((instrument.Name, value, tags.Length == 1 ? tags[0].Value as string : null)));
        listener.Start();
        var hub = _core.Services.GetRequiredService<EventHub>();
        var fast = new FakeRpcConnection();
        var alsoFast = new FakeRpcConnection();
        var full = new FakeRpcConnection { QueueHasRoom = false };
        await _core.AuthenticatedAsync(ApiRole.Viewer, fast);
        await _core.AuthenticatedAsync(ApiRole.Viewer, alsoFast);
        await _core.AuthenticatedAsync(ApiRole.Viewer, full);
        var droppedBefore = hub.Dropped;

        _source.Plug(FakeCameraSource.Camera("usb-1"));
        _source.Unplug("usb-1");

        Assert.Equal(2, fast.Notifications.Count);
        Assert.Equal(2, alsoFast.Notifications.Count);
        Assert.Empty(full.Notifications);
        Assert.Equal(2, hub.Dropped - droppedBefore);
        Assert.Equal(
            [
                ("camera_service.notifications.sent", 2L, "camera_status_update"),
                ("camera_service.notifications.dropped", 1L, "camera_status_update"),
                ("camera_service.notifications.sent", 2L, "camera_status_update"),
                ("camera_service.notifications.dropped", 1L, "camera_status_update"),
            ],
            measurements.ToArray());
    }

    [Fact]
    public async Task CameraUnplugged_Subscriber_ReceivesDisconnected()
    {
        _source.Plug(FakeCameraSource.Camera("usb-1"));
        var connection = new FakeRpcConnection();
        await _core.AuthenticatedAsync(ApiRole.Viewer, connection);

        _source.Unplug("usb-1");

        var p = Assert.Single(connection.Parsed).GetProperty("params");
        Assert.Equal("DISCONNECTED", p.Str("status"));
        Assert.Equal("camera0", p.Str("device"));
    }

    [Fact]
    public async Task Subscribe_DeviceFilter_OnlyMatchingCameraEvents()
    {
        var connection = new FakeRpcConnection();
        var session = await _core.AuthenticatedAsync(ApiRole.Viewer, connection);
        var result = (await CoreHarness.CallAsync(session, "subscribe_events", """{"topics":["camera.connected"],"filters":{"device":"camera1"}}""")).Result();

        _source.Plug(FakeCameraSource.Camera("usb-a", devicePath: "/dev/video0"));
        _source.Plug(FakeCameraSource.Camera("usb-b", devicePath: "/dev/video2"));
        Publisher.PublishSystemHealth(new SystemHealthEvent("HEALTHY", new Dictionary<string, string>()));

        Assert.True(result.GetProperty("subscribed").GetBoolean());
        Assert.Equal(["camera.connected"], result.GetProperty("topics").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal("camera1", result.GetProperty("filters").Str("device"));
        var message = Assert.Single(connection.Parsed);
        Assert.Equal("camera1", message.GetProperty("params").Str("device"));
    }

    [Fact]
    public async Task Subscribe_TopicSet_ReplacesDefaultsAndSelectsOnlyThoseTopics()
    {
        var recording = new FakeRpcConnection();
        var session = await _core.AuthenticatedAsync(ApiRole.Viewer, recording);
        (await CoreHarness.CallAsync(session, "subscribe_events", """{"topics":["recording.stop","snapshot.taken"]}""")).Result();
        var defaults = new FakeRpcConnection();
        await _core.AuthenticatedAsync(ApiRole.Viewer, defaults);

        _source.Plug(FakeCameraSource.Camera("usb-a"));
        Publisher.PublishRecordingStatus(new RecordingStatusEvent("camera0", "s1", "STARTED", "camera0_x.mp4", null));
        Publisher.PublishRecordingStatus(new RecordingStatusEvent("camera0", "s1", "STOPPED", "camera0_x.mp4", 12.5));
        Publisher.PublishSnapshotTaken(new SnapshotTakenEvent("camera0", "camera0_y.jpg", 1234, "2026-11-27T10:00:00.000Z"));

        Assert.Equal(["recording_status_update", "snapshot_taken"], recording.Parsed.Select(m => m.Str("method")));
        Assert.Equal("STOPPED", recording.Parsed[0].GetProperty("params").Str("status"));
        Assert.Equal(12.5, recording.Parsed[0].GetProperty("params").GetProperty("duration").GetDouble());
        Assert.False(recording.Parsed[0].GetProperty("params").TryGetProperty("reason", out _));
        Assert.Equal(1234, recording.Parsed[1].GetProperty("params").GetProperty("file_size").GetInt64());
        Assert.Equal(["camera_status_update", "recording_status_update", "recording_status_update"], defaults.Parsed.Select(m => m.Str("method")));
    }

    [Fact]
    public async Task Subscribe_Alias_ExpandsToCanonicalTopics()
    {
        var session = await _core.AuthenticatedAsync(ApiRole.Viewer);

        var result = (await CoreHarness.CallAsync(session, "subscribe_events", """{"topics":["camera_status_update","system_health_update"]}""")).Result();

        Assert.Equal(
            ["camera.connected", "camera.disconnected", "camera.status_change", "system.health"],
            result.GetProperty("topics").EnumerateArray().Select(t => t.GetString()));
    }

    [Fact]
    public async Task Subscribe_UnknownTopic_Returns32602WithValidTopicsAndKeepsSubscription()
    {
        var connection = new FakeRpcConnection();
        var session = await _core.AuthenticatedAsync(ApiRole.Viewer, connection);

        var response = await CoreHarness.CallAsync(session, "subscribe_events", """{"topics":["camera.connected","camera.exploded"]}""");
        _source.Plug(FakeCameraSource.Camera("usb-a"));

        var data = response.Error(RpcErrorCodes.InvalidParams);
        Assert.Equal("topics", data.Str("param"));
        Assert.Equal("unknown_topic:camera.exploded", data.Str("rule"));
        Assert.Contains("recording.start", data.GetProperty("valid_topics").EnumerateArray().Select(t => t.GetString()));
        Assert.Single(connection.Parsed);
    }

    [Theory]
    [InlineData("""{"topics":[]}""", "topics", "min_items:1")]
    [InlineData("""{"topics":"camera.connected"}""", "topics", "type:array")]
    [InlineData("""{"topics":["camera.connected",5]}""", "topics[1]", "type:string")]
    [InlineData("""{"topics":["camera.connected"],"filters":{"device":"cam"}}""", "filters.device", "pattern:^camera[0-9]+$")]
    [InlineData("""{"topics":["camera.connected"],"filters":{"camera":"camera0"}}""", "filters.camera", "unknown_param")]
    public async Task Subscribe_BadParams_Returns32602(string parameters, string param, string rule)
    {
        var session = await _core.AuthenticatedAsync(ApiRole.Viewer);

        var data = (await CoreHarness.CallAsync(session, "subscribe_events", parameters)).Error(RpcErrorCodes.InvalidParams);

        Assert.Equal((param, rule), (data.Str("param"), data.Str("rule")));
    }

    [Fact]
    public async Task Unsubscribe_All_StopsDeliveryAndStatsReflectIt()
    {
        var connection = new FakeRpcConnection();
        var session = await _core.AuthenticatedAsync(ApiRole.Viewer, connection);
        var before = (await CoreHarness.CallAsync(session, "get_subscription_stats")).Result();

        var result = (await CoreHarness.CallAsync(session, "unsubscribe_events")).Result();
        _source.Plug(FakeCameraSource.Camera("usb-a"));
        var after = (await CoreHarness.CallAsync(session, "get_subscription_stats")).Result();

        Assert.Equal(6, before.GetProperty("client_topics").GetArrayLength());
        Assert.Equal(6, before.GetProperty("global_stats").GetProperty("total_subscriptions").GetInt32());
        Assert.Equal(1, before.GetProperty("global_stats").GetProperty("active_clients").GetInt32());
        Assert.Equal(1, before.GetProperty("global_stats").GetProperty("topic_counts").GetProperty("camera.connected").GetInt32());
        Assert.Equal(session.SessionId, before.Str("client_id"));
        Assert.True(result.GetProperty("unsubscribed").GetBoolean());
        Assert.Equal(6, result.GetProperty("topics").GetArrayLength());
        Assert.Empty(connection.Notifications);
        Assert.Equal(0, after.GetProperty("client_topics").GetArrayLength());
        Assert.Equal(0, after.GetProperty("global_stats").GetProperty("active_clients").GetInt32());
    }

    [Fact]
    public async Task Unsubscribe_SomeTopics_KeepsTheOthers()
    {
        var connection = new FakeRpcConnection();
        var session = await _core.AuthenticatedAsync(ApiRole.Viewer, connection);

        (await CoreHarness.CallAsync(session, "unsubscribe_events", """{"topics":["recording_status_update"]}""")).Result();
        Publisher.PublishRecordingStatus(new RecordingStatusEvent("camera0", "s", "FAILED", null, null, "device lost"));
        _source.Plug(FakeCameraSource.Camera("usb-a"));

        Assert.Equal(["camera_status_update"], connection.Parsed.Select(m => m.Str("method")));
    }

    [Fact]
    public async Task Publish_SlowSession_DoesNotPreventDeliveryToOthers()
    {
        var slow = new FakeRpcConnection { QueueHasRoom = false };
        var fast = new FakeRpcConnection();
        await _core.AuthenticatedAsync(ApiRole.Viewer, slow);
        await _core.AuthenticatedAsync(ApiRole.Viewer, fast);
        var hub = _core.Services.GetRequiredService<EventHub>();

        var delivered = Publisher.PublishRecordingStatus(new RecordingStatusEvent("camera0", "s", "STARTED", "f.mp4", null));

        Assert.Equal(1, delivered);
        Assert.Single(fast.Parsed);
        Assert.Empty(slow.Notifications);
        Assert.Equal(1, hub.Dropped);
    }

    [Fact]
    public async Task Publish_ExpiredOrClosedSession_ReceivesNothing()
    {
        var expiring = new FakeRpcConnection();
        var session = _core.Endpoint.OpenSession(expiring);
        (await CoreHarness.CallAsync(session, "authenticate", $$"""{"auth_token":"{{_core.Token(ApiRole.Viewer, TimeSpan.FromSeconds(30))}}"}""")).Result();
        var closed = new FakeRpcConnection();
        var closedSession = await _core.AuthenticatedAsync(ApiRole.Viewer, closed);
        closedSession.Dispose();

        _core.Time.Advance(TimeSpan.FromSeconds(30));
        Publisher.PublishRecordingStatus(new RecordingStatusEvent("camera0", "s", "STARTED", "f.mp4", null));

        Assert.Empty(expiring.Notifications);
        Assert.Empty(closed.Notifications);
    }

    [Fact]
    public async Task PublishStorageStatus_Levels_MapToTopics()
    {
        var warning = new FakeRpcConnection();
        var critical = new FakeRpcConnection();
        (await CoreHarness.CallAsync(await _core.AuthenticatedAsync(ApiRole.Viewer, warning), "subscribe_events", """{"topics":["storage.warning"]}""")).Result();
        (await CoreHarness.CallAsync(await _core.AuthenticatedAsync(ApiRole.Viewer, critical), "subscribe_events", """{"topics":["storage.critical"]}""")).Result();

        Publisher.PublishStorageStatus(new StorageStatusEvent("WARNING", 100, 85.5));
        Publisher.PublishStorageStatus(new StorageStatusEvent("CRITICAL", 10, 96));
        Publisher.PublishStorageStatus(new StorageStatusEvent("OK", 1000, 50));

        Assert.Equal(["WARNING", "OK"], warning.Parsed.Select(m => m.GetProperty("params").Str("status")));
        Assert.Equal(["CRITICAL", "OK"], critical.Parsed.Select(m => m.GetProperty("params").Str("status")));
        Assert.Equal(85.5, warning.Parsed[0].GetProperty("params").GetProperty("usage_percentage").GetDouble());
        Assert.Equal(100, warning.Parsed[0].GetProperty("params").GetProperty("available_space").GetInt64());
    }
}
