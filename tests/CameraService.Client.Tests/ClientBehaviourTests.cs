using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using CameraService.Client.Tests.Fakes;

namespace CameraService.Client.Tests;

/// <summary>Errors, notifications, concurrency, timeouts, cancellation, reconnect and batches.</summary>
public sealed class ClientBehaviourTests : IAsyncLifetime
{
    private FakeRpcServer _server = null!;

    public static TheoryData<int, Type, string> ErrorCases => new()
    {
        { -32001, typeof(AuthenticationFailedException), """{"reason":"token_expired"}""" },
        { -32002, typeof(PermissionDeniedException), """{"required_role":"admin","role":"viewer"}""" },
        { -32010, typeof(NotFoundException), """{"resource":"camera","id":"camera9"}""" },
        { -32020, typeof(InvalidStateException), """{"reason":"already_recording","state":"RECORDING"}""" },
        { -32602, typeof(InvalidParamsException), """{"param":"device","rule":"^camera[0-9]+$"}""" },
        { -32040, typeof(RateLimitedException), """{"retry_after_ms":1500}""" },
        { -32050, typeof(DependencyFailedException), """{"dependency":"mediamtx","detail":"connection refused"}""" },
        { -32060, typeof(InsufficientStorageException), """{"available_bytes":1024,"threshold_percent":90}""" },
        { -32030, typeof(CameraServiceApiException), """{"feature":"streaming"}""" },
        { -32601, typeof(CameraServiceApiException), """{"method":"get_camera_list"}""" },
        { -32603, typeof(CameraServiceApiException), """{"request_id":"42"}""" },
    };

    public async Task InitializeAsync() => _server = await FakeRpcServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [MemberData(nameof(ErrorCases))]
    public async Task Call_ErrorAnswer_TypedExceptionWithCodeAndData(int code, Type type, string data)
    {
        await using var client = await ConnectAsync();
        _server.OnError("get_camera_list", code, "Contract message", data);

        var ex = await Assert.ThrowsAnyAsync<CameraServiceApiException>(() => client.GetCameraListAsync());

        Assert.Equal(type, ex.GetType());
        Assert.Equal(code, ex.Code);
        Assert.Equal("get_camera_list", ex.Method);
        Assert.Equal("Contract message", ex.ServerMessage);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(data), JsonNode.Parse(ex.Data!.Value.GetRawText())), ex.Data.Value.GetRawText());
        Assert.Contains(code.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Call_NotFound_DataStringReadsMembers()
    {
        await using var client = await ConnectAsync();
        _server.OnError("get_camera_status", -32010, "Not found", """{"resource":"camera","id":"camera9"}""");

        var ex = await Assert.ThrowsAsync<NotFoundException>(() => client.GetCameraStatusAsync("camera9"));

        Assert.Equal("camera", ex.DataString("resource"));
        Assert.Equal("camera9", ex.DataString("id"));
        Assert.Null(ex.DataString("missing"));
    }

    [Fact]
    public async Task Call_RateLimited_RetryAfterFromData()
    {
        await using var client = await ConnectAsync();
        _server.OnError("ping", -32040, "Rate limited", """{"retry_after_ms":1500}""");

        var ex = await Assert.ThrowsAsync<RateLimitedException>(() => client.PingAsync());

        Assert.Equal(TimeSpan.FromMilliseconds(1500), ex.RetryAfter);
    }

    [Fact]
    public async Task Call_ErrorWithoutData_DataNull()
    {
        await using var client = await ConnectAsync();
        _server.OnError("ping", -32603, "Internal error");

        var ex = await Assert.ThrowsAsync<CameraServiceApiException>(() => client.PingAsync());

        Assert.Null(ex.Data);
        Assert.Null(ex.DataString("reason"));
    }

    [Fact]
    public async Task ConnectAsync_TokenRefused_AuthenticationFailedException()
    {
        var ex = await Assert.ThrowsAsync<AuthenticationFailedException>(() => ConnectAsync(token: "wrong"));

        Assert.Equal("invalid_token", ex.DataString("reason"));
        Assert.Equal("authenticate", ex.Method);
    }

    [Fact]
    public async Task ConnectAsync_NoToken_NoAuthenticate()
    {
        await using var client = await ConnectAsync(token: null);

        Assert.Equal("pong", await client.PingAsync());
        Assert.DoesNotContain(_server.Requests, r => r.Method == "authenticate");
        Assert.Null(client.Session);
    }

    [Fact]
    public async Task ConnectAsync_ConnectionRefused_ConnectionException()
    {
        var port = FreePort();

        var ex = await Assert.ThrowsAsync<CameraServiceConnectionException>(() =>
            CameraServiceClient.ConnectAsync(new() { Url = new Uri($"ws://127.0.0.1:{port}/ws"), Token = "t", RequestTimeout = TimeSpan.FromSeconds(5) }));

        Assert.Contains($"127.0.0.1:{port}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectAsync_UpgradeRefused_ConnectionException()
    {
        _server.AcceptConnections = false;

        await Assert.ThrowsAsync<CameraServiceConnectionException>(() => ConnectAsync());
    }

    [Fact]
    public async Task Notifications_EachKnownName_RaisesTypedEventAndNotificationReceived()
    {
        await using var client = await ConnectAsync();
        var all = new ConcurrentQueue<Notification>();
        CameraStatusUpdate? camera = null;
        RecordingStatusUpdate? recording = null;
        SnapshotTaken? snapshot = null;
        StorageStatusUpdate? storage = null;
        SystemHealthUpdate? health = null;
        client.NotificationReceived += (_, n) => all.Enqueue(n);
        client.CameraStatusChanged += (_, e) => camera = e;
        client.RecordingStatusChanged += (_, e) => recording = e;
        client.SnapshotTaken += (_, e) => snapshot = e;
        client.StorageStatusChanged += (_, e) => storage = e;
        client.SystemHealthChanged += (_, e) => health = e;

        await _server.PushAsync("camera_status_update", Contract.CameraStatusUpdate);
        await _server.PushAsync("recording_status_update", Contract.RecordingStatusUpdate);
        await _server.PushAsync("snapshot_taken", Contract.SnapshotTaken);
        await _server.PushAsync("storage_status_update", Contract.StorageStatusUpdate);
        await _server.PushAsync("system_health_update", Contract.SystemHealthUpdate);
        await Poll.UntilAsync(() => all.Count == 5 && health is not null);

        Assert.Equal(["camera_status_update", "recording_status_update", "snapshot_taken", "storage_status_update", "system_health_update"], all.Select(n => n.Method));
        Assert.Equal(("camera0", "DISCONNECTED", "usb-046d_C920_ABC123"), (camera!.Device, camera.Status, camera.StableId));
        Assert.Equal(("rec-1", "FAILED", "ffmpeg exited", 12.5), (recording!.SessionId, recording.Status, recording.Reason, recording.Duration));
        Assert.Equal(("camera0_2026-11-27_10-15-02.jpg", 20480L), (snapshot!.Filename, snapshot.FileSize));
        Assert.Equal(("WARNING", 1073741824L, 85.5), (storage!.Status, storage.AvailableSpace, storage.UsagePercentage));
        Assert.Equal("ERROR", health!.Components["stream_backend"]);
    }

    [Fact]
    public async Task Notifications_CameraControlsChanged_RaisesTypedEvent()
    {
        await using var client = await ConnectAsync();
        CameraControlsChanged? changed = null;
        client.CameraControlsChanged += (_, e) => changed = e;

        await _server.PushAsync("camera_controls_changed", """{"device":"camera0","controls":{"brightness":200}}""");
        await Poll.UntilAsync(() => changed is not null);

        Assert.Equal(("camera0", 200L), (changed!.Device, changed.Controls["brightness"]));
    }

    [Fact]
    public async Task Notifications_UnknownName_OnlyNotificationReceived()
    {
        await using var client = await ConnectAsync();
        var all = new ConcurrentQueue<Notification>();
        var typed = 0;
        client.NotificationReceived += (_, n) => all.Enqueue(n);
        client.CameraStatusChanged += (_, _) => Interlocked.Increment(ref typed);
        client.RecordingStatusChanged += (_, _) => Interlocked.Increment(ref typed);

        await _server.PushAsync("zoom_changed", """{"device":"camera0","zoom":2}""");
        await Poll.UntilAsync(() => !all.IsEmpty);

        var n = Assert.Single(all);
        Assert.Equal("zoom_changed", n.Method);
        Assert.Equal(2, n.Params.GetProperty("zoom").GetInt32());
        Assert.Equal(0, typed);
    }

    [Fact]
    public async Task Notifications_UnreadableParams_StillDeliveredRaw()
    {
        await using var client = await ConnectAsync();
        var all = new ConcurrentQueue<Notification>();
        client.NotificationReceived += (_, n) => all.Enqueue(n);

        await _server.PushAsync("snapshot_taken", """{"device":"camera0","filename":"x.jpg","file_size":"not a number","timestamp":"never"}""");
        await _server.PushAsync("ping_marker", "{}");
        await Poll.UntilAsync(() => all.Count == 2);

        Assert.Equal(["snapshot_taken", "ping_marker"], all.Select(x => x.Method));
    }

    [Fact]
    public async Task Notifications_HandlerThrows_ClientKeepsWorking()
    {
        await using var client = await ConnectAsync();
        var seen = new ConcurrentQueue<string>();
        client.NotificationReceived += (_, _) => throw new InvalidOperationException("application bug");
        client.NotificationReceived += (_, n) => seen.Enqueue(n.Method);
        client.SnapshotTaken += (_, _) => throw new InvalidOperationException("application bug");

        await _server.PushAsync("snapshot_taken", Contract.SnapshotTaken);
        await _server.PushAsync("storage_status_update", Contract.StorageStatusUpdate);
        await Poll.UntilAsync(() => seen.Count == 2);

        Assert.Equal("pong", await client.PingAsync());
    }

    [Fact]
    public async Task Messages_MalformedFrames_IgnoredAndAnswersStillArrive()
    {
        await using var client = await ConnectAsync();

        await _server.SendRawAsync("not json");
        await _server.SendRawAsync("""{"jsonrpc":"2.0","id":1,"error":{"code":"x","message":5}}""");
        await _server.SendRawAsync("""[1,"two",null]""");
        await _server.SendRawAsync("""{"jsonrpc":"2.0","id":99999,"result":true}""");

        Assert.Equal("pong", await client.PingAsync());
    }

    [Fact]
    public async Task Calls_ManyConcurrent_EachGetsItsOwnAnswer()
    {
        await using var client = await ConnectAsync();
        // Answers come back in a different order than the requests went out.
        _server.On("get_camera_status", async r =>
        {
            var n = int.Parse(r.Str("device")!["camera".Length..], System.Globalization.CultureInfo.InvariantCulture);
            await Task.Delay(n % 7 * 5);
            return FakeReply.Result(Contract.CameraStatus.Replace("\"camera0\"", $"\"{r.Str("device")}\"", StringComparison.Ordinal));
        });

        var calls = Enumerable.Range(0, 60).Select(i => Task.Run(() => client.GetCameraStatusAsync($"camera{i}"))).ToList();
        var results = await Task.WhenAll(calls);

        Assert.Equal(Enumerable.Range(0, 60).Select(i => $"camera{i}"), results.Select(r => r.Device));
        var ids = _server.Requests.Where(r => r.Method == "get_camera_status").Select(r => r.Id!.Value.GetInt64()).ToList();
        Assert.Equal(60, ids.Distinct().Count());
    }

    [Fact]
    public async Task Call_NoAnswer_TimesOutWithConnectionException()
    {
        await using var client = await ConnectAsync(timeout: TimeSpan.FromSeconds(1));
        _server.On("get_camera_list", _ => FakeReply.None);

        var ex = await Assert.ThrowsAsync<CameraServiceConnectionException>(() => client.GetCameraListAsync());

        Assert.Contains("get_camera_list", ex.Message, StringComparison.Ordinal);
        // The client stays usable.
        Assert.Equal("pong", await client.PingAsync());
    }

    [Fact]
    public async Task Call_Cancelled_OperationCanceledNotTimeout()
    {
        await using var client = await ConnectAsync();
        _server.On("get_camera_list", _ => FakeReply.None);
        using var cts = new CancellationTokenSource();

        var call = client.GetCameraListAsync(cts.Token);
        await _server.WaitForRequestAsync(r => r.Method == "get_camera_list");
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
    }

    [Fact]
    public async Task Call_AlreadyCancelled_NothingSent()
    {
        await using var client = await ConnectAsync();
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetCameraListAsync(cts.Token));
        Assert.DoesNotContain(_server.Requests, r => r.Method == "get_camera_list");
    }

    [Fact]
    public async Task DisposeAsync_PendingCall_FailsWithDisposedError()
    {
        var client = await ConnectAsync(timeout: TimeSpan.FromSeconds(30));
        _server.On("get_camera_list", _ => FakeReply.None);
        var pending = client.GetCameraListAsync();
        await _server.WaitForRequestAsync(r => r.Method == "get_camera_list");

        await client.DisposeAsync();

        var ex = await Assert.ThrowsAsync<CameraServiceConnectionException>(() => pending);
        Assert.Contains("disposed", ex.Message, StringComparison.Ordinal);
        await Poll.UntilAsync(() => _server.OpenConnections == 0);
    }

    [Fact]
    public async Task BatchResponse_Array_DispatchedToEachCall()
    {
        await using var client = await ConnectAsync();
        // Both handlers before both calls: a call that reaches the fake server first would be answered "method not found".
        _server.On("get_camera_status", _ => FakeReply.None);
        _server.On("get_system_status", _ => FakeReply.None);
        var a = client.GetCameraStatusAsync("camera0");
        var b = client.GetSystemStatusAsync();
        var ra = await _server.WaitForRequestAsync(r => r.Method == "get_camera_status");
        var rb = await _server.WaitForRequestAsync(r => r.Method == "get_system_status");

        await _server.SendRawAsync(
            $"[{FakeReply.Result(Contract.SystemStatus).ToJson(rb.Id!.Value)},{FakeReply.Result(Contract.CameraStatus).ToJson(ra.Id!.Value)}]");

        Assert.Equal("camera0", (await a).Device);
        Assert.Equal("ready", (await b).Status);
    }

    [Fact]
    public async Task Call_ConnectionLostBeforeAnswer_ConnectionException()
    {
        await using var client = await ConnectAsync();
        _server.On("stop_recording", _ => FakeReply.None);

        var call = client.StopRecordingAsync("camera0");
        await _server.WaitForRequestAsync(r => r.Method == "stop_recording");
        _server.DropConnections();

        var ex = await Assert.ThrowsAsync<CameraServiceConnectionException>(() => call);
        Assert.Contains("may or may not", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reconnect_AfterDrop_AuthenticatesThenResubscribesBeforeQueuedCall()
    {
        await using var client = await ConnectAsync();
        await client.SubscribeAsync(["recording.start", "snapshot.taken"], "camera1");
        var reconnected = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Reconnected += (_, e) => reconnected.TrySetResult(e);
        var releaseAuth = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _server.On("authenticate", async r =>
        {
            if (r.Connection > 1)
            {
                await releaseAuth.Task;
            }

            return FakeReply.Result($$"""{"authenticated":true,"role":"operator","permissions":["view","control"],"expires_at":null,"session_id":"sess-{{r.Connection}}"}""");
        });
        _server.On("get_camera_list", Contract.CameraList);

        _server.DropConnections();
        await _server.WaitForRequestAsync(r => r.Connection == 2 && r.Method == "authenticate");
        // The session is being restored: this call must wait for it.
        var queued = client.GetCameraListAsync();
        releaseAuth.SetResult();

        Assert.Equal(2, (await queued).Total);
        Assert.Null(await reconnected.Task.WaitAsync(Poll.DefaultTimeout));
        var second = _server.Requests.Where(r => r.Connection == 2).ToList();
        Assert.Equal(["authenticate", "subscribe_events", "get_camera_list"], second.Select(r => r.Method));
        ClientMethodTests.AssertParams(second[0], """{"auth_token":"good-token"}""");
        ClientMethodTests.AssertParams(second[1], """{"topics":["recording.start","snapshot.taken"],"filters":{"device":"camera1"}}""");
        Assert.Equal("sess-2", client.Session!.SessionId);
    }

    [Fact]
    public async Task Reconnect_AfterPartialUnsubscribe_ReplaysBothInOrder()
    {
        await using var client = await ConnectAsync();
        _server.On("unsubscribe_events", Contract.Unsubscribed);
        await client.SubscribeAsync(["camera.connected", "recording.start"]);
        await client.UnsubscribeAsync(["camera.connected"]);
        var reconnected = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Reconnected += (_, e) => reconnected.TrySetResult(e);

        _server.DropConnections();

        Assert.Null(await reconnected.Task.WaitAsync(Poll.DefaultTimeout));
        var second = _server.Requests.Where(r => r.Connection == 2).ToList();
        Assert.Equal(["authenticate", "subscribe_events", "unsubscribe_events"], second.Select(r => r.Method));
        ClientMethodTests.AssertParams(second[1], """{"topics":["camera.connected","recording.start"]}""");
        ClientMethodTests.AssertParams(second[2], """{"topics":["camera.connected"]}""");
    }

    [Fact]
    public async Task Reconnect_AfterUnsubscribeAll_ReplaysUnsubscribeOnly()
    {
        await using var client = await ConnectAsync();
        _server.On("unsubscribe_events", """{"unsubscribed":true,"topics":[]}""");
        await client.SubscribeAsync(["camera.connected"]);
        await client.UnsubscribeAsync();
        var reconnected = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Reconnected += (_, e) => reconnected.TrySetResult(e);

        _server.DropConnections();

        Assert.Null(await reconnected.Task.WaitAsync(Poll.DefaultTimeout));
        var second = _server.Requests.Where(r => r.Connection == 2).ToList();
        Assert.Equal(["authenticate", "unsubscribe_events"], second.Select(r => r.Method));
        Assert.False(second[1].HasParams);
    }

    [Fact]
    public async Task Reconnect_NeverSubscribed_OnlyAuthenticates()
    {
        await using var client = await ConnectAsync();
        var reconnected = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Reconnected += (_, e) => reconnected.TrySetResult(e);

        _server.DropConnections();

        Assert.Null(await reconnected.Task.WaitAsync(Poll.DefaultTimeout));
        Assert.Equal(["authenticate"], _server.Requests.Where(r => r.Connection == 2).Select(r => r.Method));
    }

    [Fact]
    public async Task Reconnect_ServiceDownForAWhile_ReconnectsWhenBack()
    {
        await using var client = await ConnectAsync();
        var reconnected = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Reconnected += (_, e) => reconnected.TrySetResult(e);

        _server.AcceptConnections = false;
        _server.DropConnections();
        await Poll.UntilAsync(() => _server.RefusedUpgrades >= 2);
        var queued = client.PingAsync();
        _server.AcceptConnections = true;

        Assert.Equal("pong", await queued);
        Assert.Null(await reconnected.Task.WaitAsync(Poll.DefaultTimeout));
        Assert.Equal("authenticate", _server.Requests.First(r => r.Connection == 2).Method);
    }

    [Fact]
    public async Task Reconnect_TokenNowRefused_ReconnectedReportsError()
    {
        await using var client = await ConnectAsync();
        var reconnected = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.Reconnected += (_, e) => reconnected.TrySetResult(e);
        _server.AcceptedToken = "rotated";

        _server.DropConnections();

        var error = await reconnected.Task.WaitAsync(Poll.DefaultTimeout);
        Assert.IsType<AuthenticationFailedException>(error);
    }

    [Fact]
    public async Task Reconnect_Disabled_LaterCallFailsWithConnectionError()
    {
        await using var client = await ConnectAsync(autoReconnect: false, timeout: TimeSpan.FromSeconds(30));

        _server.DropConnections();
        await Poll.UntilAsync(() => _server.OpenConnections == 0);

        // Well before the 30 s request timeout the call learns that the connection is gone (a hang would cancel instead).
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await Assert.ThrowsAsync<CameraServiceConnectionException>(() => client.PingAsync(cts.Token));
        Assert.Equal(1, _server.ConnectionCount);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private Task<CameraServiceClient> ConnectAsync(string? token = FakeRpcServer.GoodToken, TimeSpan? timeout = null, bool autoReconnect = true) =>
        CameraServiceClient.ConnectAsync(new()
        {
            Url = _server.WsUrl,
            Token = token,
            RequestTimeout = timeout ?? TimeSpan.FromSeconds(10),
            ReconnectDelay = TimeSpan.FromMilliseconds(100),
            AutoReconnect = autoReconnect,
        });
}
