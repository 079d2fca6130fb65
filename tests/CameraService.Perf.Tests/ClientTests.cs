using System.Text;
using System.Text.Json;
using CameraService.Perf.Client;
using CameraService.Perf.Echo;
using CameraService.Perf.Measurement;
using CameraService.Perf.Targets;
using CameraService.Perf.Workloads;

namespace CameraService.Perf.Tests;

public sealed class ClientTests
{
    [Fact]
    public void Encode_WithParams_WritesJsonRpcRequestWithId()
    {
        var method = RpcMethod.Create("authenticate", RpcMethod.StringParams("auth_token", "a\"b"));
        var buffer = new byte[method.MaxEncodedLength];

        var length = method.Encode(123456789012, buffer);

        using var document = JsonDocument.Parse(buffer.AsMemory(0, length));
        Assert.Equal("2.0", document.RootElement.GetProperty("jsonrpc").GetString());
        Assert.Equal("authenticate", document.RootElement.GetProperty("method").GetString());
        Assert.Equal("a\"b", document.RootElement.GetProperty("params").GetProperty("auth_token").GetString());
        Assert.Equal(123456789012, document.RootElement.GetProperty("id").GetInt64());
    }

    [Fact]
    public void Create_ArrayParams_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => RpcMethod.Create("ping", "[1,2]"));
    }

    [Fact]
    public void TryScan_ErrorResponse_FindsIdAndCode()
    {
        var message = """{"jsonrpc":"2.0","error":{"code":-32040,"message":"Rate limited","data":{"retry_after_ms":12}},"id":77}"""u8;

        Assert.True(RpcMessageScanner.TryScan(message, out var scan));

        Assert.True(scan.HasId);
        Assert.Equal(77, scan.Id);
        Assert.True(scan.IsError);
        Assert.Equal(-32040, scan.ErrorCode);
    }

    [Fact]
    public void TryScan_Notification_FindsMethodWithoutId()
    {
        var message = """{"jsonrpc":"2.0","method":"camera_status_update","params":{"device":"camera0","status":"CONNECTED"}}"""u8;

        Assert.True(RpcMessageScanner.TryScan(message, out var scan));

        Assert.False(scan.HasId);
        Assert.Equal("camera_status_update", Encoding.UTF8.GetString(message.Slice(scan.MethodStart, scan.MethodLength)));
    }

    [Fact]
    public void TryScan_NotJson_ReturnsFalse()
    {
        Assert.False(RpcMessageScanner.TryScan("{not json"u8, out _));
        Assert.False(RpcMessageScanner.TryScan("[]"u8, out _));
    }

    [Fact]
    public void Parse_MixWithParamsAndWeights_BuildsEntries()
    {
        var mix = MethodMix.Parse("ping:3,list_recordings={\"limit\":10,\"offset\":5}:2,get_camera_status", "camera7");

        Assert.Equal(["ping", "list_recordings", "get_camera_status"], mix.Entries.Select(e => e.Name));
        Assert.Equal("{\"limit\":10,\"offset\":5}", mix.Entries[1].ParamsJson);
        Assert.Contains("camera7", mix.Entries[2].ParamsJson, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ping:0")]
    [InlineData("ping:x")]
    [InlineData("get_camera_list={bad json}")]
    public void Parse_BadEntry_ThrowsPerfException(string spec)
    {
        Assert.Throws<PerfException>(() => MethodMix.Parse(spec, "camera0"));
    }

    [Fact]
    public void Expand_Placeholders_AreFilledAndUnknownOnesRefused()
    {
        var values = new Dictionary<string, string> { ["port"] = "1234", ["state"] = "/tmp/s" };

        Assert.Equal(["run", "--Api:Port=1234", "--State:Directory=/tmp/s"], ServiceTarget.Expand("run --Api:Port={port}  --State:Directory={state}", values));
        var error = Assert.Throws<PerfException>(() => ServiceTarget.Expand("run --X={nope}", values));
        Assert.Contains("{nope}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DownloadUri_PublicDownloadUrl_IsRebasedOnTheLoopbackTarget()
    {
        var target = new TargetInfo(TargetKind.Url, new Uri("ws://127.0.0.1:18002/ws"), "t", null, null, null);

        var uri = CameraService.Perf.Scenarios.FilesScenario.DownloadUri(target, "a.mp4", "https://camera.example.org/files/recordings/a.mp4?token=abc");

        Assert.Equal("http://127.0.0.1:18002/files/recordings/a.mp4?token=abc", uri.ToString());
        Assert.Equal("http://127.0.0.1:18002/files/recordings/b%20c.mp4", CameraService.Perf.Scenarios.FilesScenario.DownloadUri(target, "b c.mp4", null).AbsoluteUri);
    }

    [Fact]
    public void Plug_FakeDeviceRoot_WritesNodesInTheV4l2PluginFormatAndRemovesOnlyItsOwn()
    {
        using var root = new TempDirectory();
        File.WriteAllText(Path.Combine(root.Path, "video0"), "c920-h264.txt\n");
        var target = new TargetInfo(TargetKind.Url, new Uri("ws://127.0.0.1:1/ws"), null, null, null, root.Path);
        var tree = CameraService.Perf.Scenarios.FakeDeviceTree.Open(target, null, "test");

        tree.Plug(0);
        tree.Plug(1);

        Assert.Equal(["usb2-pc-camera.txt", "bus-info=usb-0000:00:1d.0-1"], File.ReadAllLines(Path.Combine(root.Path, "video100")));
        Assert.Equal(["usb2-pc-camera.txt", "bus-info=usb-0000:00:1d.0-2"], File.ReadAllLines(Path.Combine(root.Path, "video102")));
        Assert.Empty(Directory.GetFiles(root.Path, ".video*"));
        tree.UnplugAll();
        Assert.Equal(["video0"], Directory.GetFiles(root.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void Open_ServiceWithoutV4l2Fixtures_SaysNotAvailableInThisBuild()
    {
        using var root = new TempDirectory();
        using var service = new TempDirectory();
        var target = new TargetInfo(TargetKind.Service, new Uri("ws://127.0.0.1:1/ws"), null, null, null, root.Path, service.Path);

        var error = Assert.Throws<PerfException>(() => CameraService.Perf.Scenarios.FakeDeviceTree.Open(target, null, "hotplug"));

        Assert.Contains("not available in this build", error.Message, StringComparison.Ordinal);
        Assert.Contains("usb2-pc-camera.txt", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_OwnProcess_ReportsRssThreadsAndOpenFiles()
    {
        var reading = ProcessSampler.Read(Environment.ProcessId);

        Assert.NotNull(reading);
        Assert.True(reading.Value.RssBytes > 0);
        Assert.True(reading.Value.Threads > 0);
        Assert.True(reading.Value.OpenFiles > 0);
    }

    [Fact]
    public void Snapshot_KnownLatencies_GivesPercentilesAndErrorKinds()
    {
        var recorder = new LatencyRecorder();
        for (var i = 1; i <= 100; i++)
        {
            recorder.Record("ping", i * 1000L, "ok", true);
        }

        recorder.Record("ping", 500, "rpc:-32001", false);

        var ping = Assert.Single(recorder.Snapshot());
        Assert.Equal(101, ping.Count);
        Assert.Equal(1, ping.Errors);
        Assert.Equal(1, ping.ErrorsByKind["rpc:-32001"]);
        Assert.InRange(ping.P50Ms, 49, 51);
        Assert.InRange(ping.P99Ms, 98, 100.1);
        Assert.InRange(ping.MaxMs, 99.9, 100.1);
    }

    [Fact]
    public async Task CallAsync_AgainstEcho_CorrelatesConcurrentResponsesAndReceivesBroadcast()
    {
        await using var server = await EchoServer.StartAsync(new EchoServerOptions(), CancellationToken.None);
        await using var a = await RpcConnection.ConnectAsync(server.WebSocketUri, TimeSpan.FromSeconds(10), 0, CancellationToken.None);
        await using var b = await RpcConnection.ConnectAsync(server.WebSocketUri, TimeSpan.FromSeconds(10), 1, CancellationToken.None);
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        b.OnNotification = (method, message, _) => received.TrySetResult(Encoding.UTF8.GetString(method) + " " + Encoding.UTF8.GetString(message));

        // Many calls in flight on one socket: each answer must reach its own caller.
        var ping = RpcMethod.Create("ping");
        var other = RpcMethod.Create("get_camera_list");
        var calls = Enumerable.Range(0, 200).Select(i => a.CallAsync(i % 2 == 0 ? ping : other, capture: true, CancellationToken.None)).ToList();
        var outcomes = await Task.WhenAll(calls);
        for (var i = 0; i < outcomes.Length; i++)
        {
            Assert.Equal(OutcomeKind.Ok, outcomes[i].Kind);
            using var document = outcomes[i].ParseMessage()!;
            var result = document.RootElement.GetProperty("result");
            Assert.Equal(i % 2 == 0 ? JsonValueKind.String : JsonValueKind.Object, result.ValueKind);
        }

        var broadcast = await a.CallAsync(RpcMethod.Create(EchoServer.BroadcastMethod, "{\"seq\":5}"), capture: true, CancellationToken.None);
        Assert.True(broadcast.IsOk);
        var notification = await received.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.StartsWith(EchoServer.BroadcastNotification + " ", notification, StringComparison.Ordinal);
        Assert.Contains("\"seq\":5", notification, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CallAsync_ServerGone_ReturnsDisconnectedInsteadOfHanging()
    {
        var server = await EchoServer.StartAsync(new EchoServerOptions(), CancellationToken.None);
        await using var connection = await RpcConnection.ConnectAsync(server.WebSocketUri, TimeSpan.FromSeconds(10), 0, CancellationToken.None);
        await server.DisposeAsync();

        var outcome = await connection.CallAsync(RpcMethod.Create("ping"), capture: false, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(OutcomeKind.Disconnected, outcome.Kind);
    }
}
