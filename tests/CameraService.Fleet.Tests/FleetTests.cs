using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using CameraService.Client;
using CameraService.EndToEnd.Tests;

namespace CameraService.Fleet.Tests;

/// <summary>The gateway over two nodes through a real NATS server (issue 24, api-contract.md §8.6).</summary>
[Collection(FleetCollection.Name)]
public sealed class FleetTests(FleetFixture fleet)
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(45);

    [Fact]
    public async Task GetCameraList_AtTheGateway_ListsEveryNodesCamerasWithNodeAndGatewayIds()
    {
        await using var client = await fleet.ConnectAsync(fleet.Gateway1);
        var list = await client.CallAsync("get_camera_list");
        var cameras = list.GetProperty("cameras").EnumerateArray().ToList();

        Assert.Equal(4, list.GetProperty("total").GetInt32());
        Assert.Equal(4, cameras.Count);
        Assert.Equal(["n1", "n1", "n2", "n2"], cameras.Select(c => c.GetProperty("node").GetString()!).Order(StringComparer.Ordinal));
        var ids = cameras.Select(c => c.GetProperty("device").GetString()!).ToList();
        Assert.All(ids, id => Assert.Matches("^camera[0-9]+$", id));
        Assert.Equal(4, ids.Distinct(StringComparer.Ordinal).Count());

        // A camera call through the gateway reaches the camera's node and answers in gateway ids.
        var status = await client.CallAsync("get_camera_status", new Dictionary<string, object?> { ["device"] = ids[3] });
        Assert.Equal(ids[3], status.GetProperty("device").GetString());
        Assert.Equal(cameras[3].GetProperty("node").GetString(), status.GetProperty("node").GetString());

        var error = await Assert.ThrowsAnyAsync<CameraServiceApiException>(() => client.CallAsync("get_camera_status", new Dictionary<string, object?> { ["device"] = "camera999" }));
        Assert.Equal(-32010, error.Code);
    }

    [Fact]
    public async Task ScopedToken_AtTheGateway_SeesAndUsesOnlyItsCamera()
    {
        // Issue 17, hole 4: the gateway routes with the caller's camera scope; other nodes' cameras do not exist for it.
        await using var admin = await fleet.ConnectAsync(fleet.Gateway1);
        var ids = (await admin.CallAsync("get_camera_list")).GetProperty("cameras").EnumerateArray().Select(c => c.GetProperty("device").GetString()!).ToList();
        await using var scoped = await ConnectScopedAsync("operator", ids[0]);

        var list = await scoped.CallAsync("get_camera_list");
        var own = await scoped.CallAsync("get_camera_status", new Dictionary<string, object?> { ["device"] = ids[0] });
        var other = await Assert.ThrowsAnyAsync<CameraServiceApiException>(() => scoped.CallAsync("get_camera_status", new Dictionary<string, object?> { ["device"] = ids[3] }));
        var streams = await scoped.CallAsync("get_streams");

        Assert.Equal([ids[0]], list.GetProperty("cameras").EnumerateArray().Select(c => c.GetProperty("device").GetString()));
        Assert.Equal(1, list.GetProperty("total").GetInt32());
        Assert.Equal(ids[0], own.GetProperty("device").GetString());
        Assert.Equal(-32002, other.Code);
        Assert.All(streams.EnumerateArray(), s => Assert.Equal(ids[0], s.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task ScopedToken_AtTheGateway_FileListsAndTotalsCountOnlyItsCamerasFiles()
    {
        // Issue 17, hole 4: the merged list_snapshots/list_recordings of a scoped client counted every camera's files
        // in "total" (so it learned that other cameras exist and how busy they are), and newer files of other cameras
        // crowded its own out of a page.
        await using var admin = await fleet.ConnectAsync(fleet.Gateway1);
        var ids = (await admin.CallAsync("get_camera_list")).GetProperty("cameras").EnumerateArray().Select(c => c.GetProperty("device").GetString()!).ToList();
        var own = ids[2];
        await admin.CallAsync("take_snapshot", new Dictionary<string, object?> { ["device"] = own });
        foreach (var other in new[] { ids[0], ids[1], ids[3], ids[3] })
        {
            await admin.CallAsync("take_snapshot", new Dictionary<string, object?> { ["device"] = other });
        }

        var expected = await admin.CallAsync("list_snapshots", new Dictionary<string, object?> { ["device"] = own, ["limit"] = 1000 });
        var expectedRecordings = await admin.CallAsync("list_recordings", new Dictionary<string, object?> { ["device"] = own, ["limit"] = 1000 });
        var everything = await admin.CallAsync("list_snapshots", new Dictionary<string, object?> { ["limit"] = 1000 });
        await using var scoped = await ConnectScopedAsync("viewer", own);

        var listed = await scoped.CallAsync("list_snapshots", new Dictionary<string, object?> { ["limit"] = 1000 });
        var first = await scoped.CallAsync("list_snapshots", new Dictionary<string, object?> { ["limit"] = 1 });
        var recordings = await scoped.CallAsync("list_recordings", new Dictionary<string, object?> { ["limit"] = 1000 });

        static List<string> Names(JsonElement page) => [.. page.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("filename").GetString()!)];
        Assert.True(everything.GetProperty("total").GetInt32() > expected.GetProperty("total").GetInt32(), "the other cameras have snapshots too");
        Assert.Equal(expected.GetProperty("total").GetInt32(), listed.GetProperty("total").GetInt32());
        Assert.Equal(Names(expected).Order(StringComparer.Ordinal), Names(listed).Order(StringComparer.Ordinal));
        Assert.All(listed.GetProperty("files").EnumerateArray(), f => Assert.Equal(own, f.GetProperty("device").GetString()));
        Assert.Equal(expected.GetProperty("total").GetInt32(), first.GetProperty("total").GetInt32());
        var newest = Assert.Single(first.GetProperty("files").EnumerateArray().ToList());
        Assert.Equal(own, newest.GetProperty("device").GetString());
        Assert.Equal(expected.GetProperty("files")[0].GetProperty("modified_time").GetString(), newest.GetProperty("modified_time").GetString());
        Assert.Equal(expectedRecordings.GetProperty("total").GetInt32(), recordings.GetProperty("total").GetInt32());
        Assert.Equal(Names(expectedRecordings).Order(StringComparer.Ordinal), Names(recordings).Order(StringComparer.Ordinal));
    }

    /// <summary>A client of the first gateway with a token of <paramref name="role"/> limited to <paramref name="cameras"/>.</summary>
    private async Task<CameraServiceClient> ConnectScopedAsync(string role, string cameras)
    {
        var output = await fleet.Gateway1.RunCliAsync("token", "create", "--role", role, "--ttl", "1h", "--cameras", cameras);
        var token = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Last(l => l.Count(c => c == '.') == 2 && !l.Contains(' ', StringComparison.Ordinal));
        return await CameraServiceClient.ConnectAsync(new CameraServiceClientOptions { Url = fleet.Gateway1.WebSocketUrl, Token = token });
    }

    [Fact]
    public async Task TwoGateways_GiveIdenticalIds()
    {
        await using var one = await fleet.ConnectAsync(fleet.Gateway1);
        await using var two = await fleet.ConnectAsync(fleet.Gateway2);

        var first = await FleetFixture.BindingsAsync(one);
        var second = await FleetFixture.BindingsAsync(two);

        Assert.Equal(4, first.Count);
        Assert.Equal(first.OrderBy(kv => kv.Value, StringComparer.Ordinal), second.OrderBy(kv => kv.Value, StringComparer.Ordinal));
    }

    [Fact]
    public async Task SnapshotAndRecording_ThroughTheGateway_LandOnTheNodeAndDownloadFromIt()
    {
        await using var client = await fleet.ConnectAsync(fleet.Gateway1);
        var list = await client.CallAsync("get_camera_list");
        var camera = FleetFixture.CameraOf(list, "n2", 0);
        var device = camera.GetProperty("device").GetString()!;
        var node = fleet.Nodes["n2"];
        var other = fleet.Nodes["n1"];

        var shot = await client.CallAsync("take_snapshot", new Dictionary<string, object?> { ["device"] = device });
        var name = shot.GetProperty("filename").GetString()!;
        var url = shot.GetProperty("download_url").GetString()!;
        Assert.StartsWith(device + "_", name, StringComparison.Ordinal);
        Assert.StartsWith(node.BaseUrl + "/", url, StringComparison.Ordinal);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var jpeg = await http.GetByteArrayAsync(new Uri(url));
        Assert.True(jpeg.Length > 100 && jpeg[0] == 0xFF && jpeg[1] == 0xD8, "the snapshot download is not a JPEG");
        var nodeFileName = Path.GetFileName(new Uri(url).AbsolutePath);
        Assert.Single(Directory.GetFiles(node.MediaRoot, nodeFileName, SearchOption.AllDirectories));
        Assert.Empty(Directory.GetFiles(other.MediaRoot, nodeFileName, SearchOption.AllDirectories));

        var info = await client.CallAsync("get_snapshot_info", new Dictionary<string, object?> { ["filename"] = name });
        Assert.Equal(device, info.GetProperty("device").GetString());

        var progress = new ConcurrentQueue<RecordingProgressUpdate>();
        client.RecordingProgress += (_, e) => progress.Enqueue(e);
        await client.CallAsync("subscribe_events", new Dictionary<string, object?> { ["topics"] = new[] { "recording.progress" } });
        await client.CallAsync("start_recording", new Dictionary<string, object?> { ["device"] = device });
        // The node's recording_progress reaches the gateway's client under the gateway's camera id.
        Assert.True(await Media.WaitUntil(() => progress.Any(p => p.Device == device && p.FileSize > 0), Generous),
            $"no recording_progress for {device} through the gateway: [{string.Join(",", progress.Select(p => p.Device))}]\n" + node.Log);
        Assert.True(await Media.WaitUntilAsync(
            async () => (await client.CallAsync("get_recording_status", new Dictionary<string, object?> { ["device"] = device })).GetProperty("bytes_written").GetInt64() > 0,
            Generous), "the recording through the gateway never wrote bytes:\n" + node.Log);
        var stopped = await client.CallAsync("stop_recording", new Dictionary<string, object?> { ["device"] = device });
        Assert.Equal(device, stopped.GetProperty("device").GetString());
        var file = stopped.GetProperty("files").EnumerateArray().First();
        var recordingUrl = file.GetProperty("download_url").GetString()!;
        Assert.StartsWith(node.BaseUrl + "/", recordingUrl, StringComparison.Ordinal);
        var path = Path.Combine(fleet.Root, $"download-{Guid.NewGuid():N}.mp4");
        await File.WriteAllBytesAsync(path, await http.GetByteArrayAsync(new Uri(recordingUrl)));
        Assert.Equal("h264", (await Media.ProbeAsync(path)).Codec);

        // The merged list shows the recording under the gateway's id, with its node.
        var recordings = await client.CallAsync("list_recordings", new Dictionary<string, object?> { ["limit"] = 100 });
        var listed = recordings.GetProperty("files").EnumerateArray().First(f => f.GetProperty("filename").GetString() == file.GetProperty("filename").GetString());
        Assert.Equal(device, listed.GetProperty("device").GetString());
        Assert.Equal("n2", listed.GetProperty("node").GetString());
    }

    [Fact]
    public async Task ListSnapshots_AcrossNodes_MergedNewestFirstAndPagedWithoutOverlap()
    {
        await using var client = await fleet.ConnectAsync(fleet.Gateway1);
        var list = await client.CallAsync("get_camera_list");
        foreach (var node in new[] { "n1", "n2", "n1" })
        {
            await client.CallAsync("take_snapshot", new Dictionary<string, object?> { ["device"] = FleetFixture.CameraOf(list, node, 1).GetProperty("device").GetString() });
        }

        var all = await client.CallAsync("list_snapshots", new Dictionary<string, object?> { ["limit"] = 1000 });
        var files = all.GetProperty("files").EnumerateArray().ToList();
        Assert.Equal(all.GetProperty("total").GetInt32(), files.Count);
        Assert.Contains(files, f => f.GetProperty("node").GetString() == "n1");
        Assert.Contains(files, f => f.GetProperty("node").GetString() == "n2");
        var times = files.Select(f => f.GetProperty("modified_time").GetString()!).ToList();
        Assert.Equal(times.OrderDescending(StringComparer.Ordinal), times);

        var paged = new List<string>();
        for (var offset = 0; offset < files.Count; offset += 2)
        {
            var page = await client.CallAsync("list_snapshots", new Dictionary<string, object?> { ["limit"] = 2, ["offset"] = offset });
            paged.AddRange(page.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("node").GetString() + "/" + f.GetProperty("filename").GetString()));
        }

        Assert.Equal(files.Select(f => f.GetProperty("node").GetString() + "/" + f.GetProperty("filename").GetString()), paged);
    }

    [Fact]
    public async Task ListSnapshots_WithCursor_PageStaysCorrectWhileFilesAreAdded()
    {
        await using var client = await fleet.ConnectAsync(fleet.Gateway1);
        var list = await client.CallAsync("get_camera_list");
        var n1 = FleetFixture.CameraOf(list, "n1", 0).GetProperty("device").GetString();
        var n2 = FleetFixture.CameraOf(list, "n2", 0).GetProperty("device").GetString();
        foreach (var device in new[] { n1, n2, n1, n2 })
        {
            await client.CallAsync("take_snapshot", new Dictionary<string, object?> { ["device"] = device });
        }

        static List<string> Names(JsonElement page) =>
            [.. page.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("node").GetString() + "/" + f.GetProperty("filename").GetString())];

        var before = Names(await client.CallAsync("list_snapshots", new Dictionary<string, object?> { ["limit"] = 1000 }));
        var first = await client.CallAsync("list_snapshots", new Dictionary<string, object?> { ["limit"] = 2 });
        Assert.Equal(before.Take(2), Names(first));
        var cursor = first.GetProperty("next_cursor").GetString();

        // New files on both nodes would shift an offset page; the cursor page is the same.
        await client.CallAsync("take_snapshot", new Dictionary<string, object?> { ["device"] = n2 });
        await client.CallAsync("take_snapshot", new Dictionary<string, object?> { ["device"] = n1 });
        var second = await client.CallAsync("list_snapshots", new Dictionary<string, object?> { ["limit"] = 2, ["cursor"] = cursor });
        Assert.Equal(before.Skip(2).Take(2), Names(second));

        var bad = await Assert.ThrowsAnyAsync<CameraServiceApiException>(() => client.CallAsync("list_snapshots", new Dictionary<string, object?> { ["cursor"] = "not-a-cursor" }));
        Assert.Equal(-32602, bad.Code);

        // A node (a standalone service) pages by cursor the same way.
        var node = fleet.Nodes["n1"];
        await using var direct = await CameraServiceClient.ConnectAsync(new CameraServiceClientOptions { Url = node.WebSocketUrl, Token = await node.CreateTokenAsync("operator") });
        var all = (await direct.CallAsync("list_snapshots", new Dictionary<string, object?> { ["limit"] = 1000 })).GetProperty("files").EnumerateArray().Select(f => f.GetProperty("filename").GetString()).ToList();
        var head = await direct.CallAsync("list_snapshots", new Dictionary<string, object?> { ["limit"] = 1 });
        await direct.TakeSnapshotAsync("camera1");
        var next = await direct.CallAsync("list_snapshots", new Dictionary<string, object?> { ["limit"] = 1, ["cursor"] = head.GetProperty("next_cursor").GetString() });
        Assert.Equal(all[1], next.GetProperty("files")[0].GetProperty("filename").GetString());
    }

    [Fact]
    public async Task Notifications_FromEveryNode_ReachGatewayClientsWithTheirFilters()
    {
        await using var all = await fleet.ConnectAsync(fleet.Gateway2);
        await using var filtered = await fleet.ConnectAsync(fleet.Gateway2);
        var list = await all.CallAsync("get_camera_list");
        var onN1 = FleetFixture.CameraOf(list, "n1", 0).GetProperty("device").GetString()!;
        var onN2 = FleetFixture.CameraOf(list, "n2", 1).GetProperty("device").GetString()!;
        var seenAll = new ConcurrentQueue<string>();
        var seenFiltered = new ConcurrentQueue<string>();
        all.SnapshotTaken += (_, e) => seenAll.Enqueue(e.Device);
        filtered.SnapshotTaken += (_, e) => seenFiltered.Enqueue(e.Device);
        await all.CallAsync("subscribe_events", new Dictionary<string, object?> { ["topics"] = new[] { "snapshot.taken" } });
        await filtered.CallAsync("subscribe_events", new Dictionary<string, object?> { ["topics"] = new[] { "snapshot.taken" }, ["filters"] = new Dictionary<string, object?> { ["device"] = onN2 } });

        await all.CallAsync("take_snapshot", new Dictionary<string, object?> { ["device"] = onN1 });
        await all.CallAsync("take_snapshot", new Dictionary<string, object?> { ["device"] = onN2 });

        Assert.True(await Media.WaitUntil(() => seenAll.Contains(onN1) && seenAll.Contains(onN2), Generous), $"snapshot_taken from both nodes never arrived: [{string.Join(",", seenAll)}]");
        Assert.True(await Media.WaitUntil(() => seenFiltered.Contains(onN2), Generous), "the filtered client never got its camera's snapshot");
        Assert.DoesNotContain(onN1, seenFiltered);
    }

    [Fact]
    public async Task UnsignedOrWronglySignedRequest_RefusedByTheNode()
    {
        await using var nats = new NATS.Client.Core.NatsConnection(new NATS.Client.Core.NatsOpts { Url = fleet.Nats.Url });
        var body = """{"jsonrpc":"2.0","id":7,"method":"get_camera_list","params":{}}"""u8.ToArray();

        var unsigned = await nats.RequestAsync<byte[], byte[]>("fleet.rpc.n1", body);
        AssertRefused(unsigned.Data!, "fleet_signature_missing");

        var forged = await nats.RequestAsync<byte[], byte[]>("fleet.rpc.n1", body, Signed.Headers("n1", "not-the-fleet-credential-0123456789abcdef", body));
        AssertRefused(forged.Data!, "fleet_signature_invalid");

        // Signed with the fleet credential it is served; the very same headers again are a replay.
        var headers = Signed.Headers("n1", FleetFixture.Secret, body);
        var genuine = await nats.RequestAsync<byte[], byte[]>("fleet.rpc.n1", body, headers);
        using (var answer = JsonDocument.Parse(genuine.Data!))
        {
            Assert.Equal(2, answer.RootElement.GetProperty("result").GetProperty("total").GetInt32());
        }

        var replayed = await nats.RequestAsync<byte[], byte[]>("fleet.rpc.n1", body, headers);
        AssertRefused(replayed.Data!, "fleet_request_replayed");
    }

    [Fact]
    public async Task FleetStatusCommand_ListsNodesCamerasHeartbeatsAndVersions()
    {
        await using var client = await fleet.ConnectAsync(fleet.Gateway1);
        var bindings = await FleetFixture.BindingsAsync(client);

        var output = await fleet.Gateway1.RunCliAsync("fleet", "status");

        Assert.Matches(@"node n1\s+UP\s+version \S+\s+base_url " + System.Text.RegularExpressions.Regex.Escape(fleet.Nodes["n1"].BaseUrl), output);
        Assert.Matches(@"node n2\s+UP", output);
        Assert.Contains("last heartbeat: 20", output, StringComparison.Ordinal);
        Assert.All(bindings.Values, id => Assert.Contains(id, output, StringComparison.Ordinal));
    }

    private static void AssertRefused(byte[] reply, string reason)
    {
        using var answer = JsonDocument.Parse(reply);
        var error = answer.RootElement.GetProperty("error");
        Assert.Equal(-32001, error.GetProperty("code").GetInt32());
        Assert.Equal(reason, error.GetProperty("data").GetProperty("reason").GetString());
        Assert.Equal(7, answer.RootElement.GetProperty("id").GetInt32());
        Assert.False(answer.RootElement.TryGetProperty("result", out _));
    }
}
