using System.Text.Json;
using CameraService.Abstractions.Api;
using CameraService.Core.Rpc;
using CameraService.Core.Tests.Fakes;

namespace CameraService.Core.Tests;

/// <summary>
/// The Go original's five external-stream methods as documented (api-contract.md §8.4): the original's requests go
/// in through the real endpoint, and every answer carries exactly the original's result fields and stream-entry
/// fields, with its status words and roles — plus, beyond the original, <c>device</c> (the stream's camera id, null
/// while only discovered). The rtsp plugin's own tests check what it puts in those fields.
/// </summary>
public sealed class ExternalStreamContractTests : IAsyncLifetime
{
    private static readonly string[] StreamEntryFields = ["url", "type", "name", "status", "discovered_at", "last_seen", "capabilities"];
    private static readonly string[] CapabilityFields = ["protocol", "format", "source", "stream_type", "port", "stream_path", "codec", "metadata"];
    private readonly FakeExternalStreamSource _rtsp = new();
    private CoreHarness _core = null!;
    private IRpcSession _admin = null!;

    public async Task InitializeAsync()
    {
        _core = new CoreHarness(sources: [_rtsp]);
        await _core.StartAsync();
        _admin = await _core.AuthenticatedAsync(ApiRole.Admin);
    }

    public async Task DisposeAsync() => await _core.DisposeAsync();

    [Fact]
    public async Task AddExternalStream_OriginalRequest_OriginalResultFields()
    {
        var result = (await CoreHarness.CallAsync(_admin, "add_external_stream",
            """{"stream_url":"rtsp://192.168.42.10:5554/subject","stream_name":"Skydio_EO","stream_type":"skydio"}""")).Result();

        AssertFields(result, "stream_url", "stream_name", "stream_type", "status", "timestamp");
        Assert.Equal(("rtsp://192.168.42.10:5554/subject", "Skydio_EO", "skydio", "ADDED"), (result.Str("stream_url"), result.Str("stream_name"), result.Str("stream_type"), result.Str("status")));
        Assert.Matches("^camera[0-9]+$", result.Str("device"));
    }

    [Fact]
    public async Task GetExternalStreams_OriginalResultAndEntryFields()
    {
        (await CoreHarness.CallAsync(_admin, "add_external_stream", """{"stream_url":"rtsp://192.168.1.50:554/live","stream_name":"Gate"}""")).Result();

        var result = (await CoreHarness.CallAsync(_admin, "get_external_streams")).Result();

        AssertFields(result, "external_streams", "skydio_streams", "generic_streams", "total_count", "timestamp");
        Assert.Equal(1, result.GetProperty("total_count").GetInt32());
        var entry = result.GetProperty("external_streams")[0];
        AssertFields(entry, StreamEntryFields);
        AssertFields(entry.GetProperty("capabilities"), CapabilityFields);
        Assert.Equal(("rtsp://192.168.1.50:554/live", "Gate"), (entry.Str("url"), entry.Str("name")));
    }

    [Fact]
    public async Task DiscoverExternalStreams_OriginalRequest_OriginalResultFields()
    {
        _rtsp.Discoverable.Add("rtsp://192.168.42.10:5554/subject");

        var result = (await CoreHarness.CallAsync(_admin, "discover_external_streams",
            """{"skydio_enabled":true,"generic_enabled":false,"force_rescan":true,"include_offline":false}""")).Result();

        AssertFields(result, "discovered_streams", "skydio_streams", "generic_streams", "scan_timestamp", "total_found", "discovery_options", "scan_duration", "errors");
        Assert.Equal(1, result.GetProperty("total_found").GetInt32());
        AssertFields(result.GetProperty("discovered_streams")[0], StreamEntryFields);
        AssertFields(result.GetProperty("discovery_options"), "skydio_enabled", "generic_enabled", "force_rescan", "include_offline");
    }

    [Fact]
    public async Task RemoveExternalStream_OriginalRequest_OriginalResultFields()
    {
        (await CoreHarness.CallAsync(_admin, "add_external_stream", """{"stream_url":"rtsp://192.168.1.50:554/live","stream_name":"Gate"}""")).Result();

        var result = (await CoreHarness.CallAsync(_admin, "remove_external_stream", """{"stream_url":"rtsp://192.168.1.50:554/live"}""")).Result();

        AssertFields(result, "stream_url", "status", "timestamp");
        Assert.Equal("REMOVED", result.Str("status"));
    }

    [Fact]
    public async Task SetDiscoveryInterval_OriginalRequest_OriginalResultFields()
    {
        var result = (await CoreHarness.CallAsync(_admin, "set_discovery_interval", """{"scan_interval":300}""")).Result();

        AssertFields(result, "scan_interval", "status", "message", "timestamp");
        Assert.Equal((300, "UPDATED"), (result.GetProperty("scan_interval").GetInt32(), result.Str("status")));
        Assert.Equal(TimeSpan.FromSeconds(300), _rtsp.DiscoveryInterval);
    }

    [Theory]
    [InlineData(ApiRole.Viewer, "add_external_stream", """{"stream_url":"rtsp://192.168.1.51/x","stream_name":"X"}""")]
    [InlineData(ApiRole.Viewer, "remove_external_stream", """{"stream_url":"rtsp://192.168.1.51/x"}""")]
    [InlineData(ApiRole.Viewer, "discover_external_streams", null)]
    [InlineData(ApiRole.Operator, "set_discovery_interval", """{"scan_interval":60}""")]
    public async Task Roles_AsTheOriginal_BelowTheMethodsRoleRefused(ApiRole role, string method, string? parameters)
    {
        var session = await _core.AuthenticatedAsync(role);

        var response = await CoreHarness.CallAsync(session, method, parameters);

        Assert.Equal(RpcErrorCodes.PermissionDenied, response.ErrorCode());
    }

    // The original's fields, all of them, and nothing else but our one addition (device).
    private static void AssertFields(JsonElement element, params string[] expected) =>
        Assert.Equal(
            expected.Order(StringComparer.Ordinal),
            element.EnumerateObject().Select(p => p.Name).Where(n => n != "device").Order(StringComparer.Ordinal));
}
