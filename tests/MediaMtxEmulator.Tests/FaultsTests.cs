using System.Text.Json.Nodes;

namespace MediaMtxEmulator.Tests;

/// <summary>The chaos harness's fault endpoint (<c>/_emulator/faults</c>): 500s and delays on the Control API, cleared by DELETE and by a restart.</summary>
public sealed class FaultsTests : EmulatorTestBase
{
    [Fact]
    public async Task Status500_AnswersEveryApiRequestWithMediaMtxErrorBody_UntilCleared()
    {
        Assert.Equal(200, (await Get("/v3/paths/list")).Status);

        var set = await Post(Faults.Path, """{"status500": true}""");
        Assert.Equal(200, set.Status);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"delayMs":0,"status500":true}"""), set.Body), set.Body?.ToJsonString());

        var failed = await Get("/v3/paths/list");
        Assert.Equal(500, failed.Status);
        Assert.Equal("error", failed.Body!["status"]!.GetValue<string>());
        Assert.Contains("injected fault", failed.Body!["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(500, (await Get("/v3/info")).Status);

        var cleared = await Delete(Faults.Path);
        Assert.Equal(200, cleared.Status);
        Assert.Equal(200, (await Get("/v3/paths/list")).Status);
    }

    [Fact]
    public async Task Delay_IsAppliedToApiRequests_AndReportedByGet()
    {
        Assert.Equal(200, (await Post(Faults.Path, """{"delayMs": 300}""")).Status);
        var state = await Get(Faults.Path);
        Assert.Equal(300, state.Body!["delayMs"]!.GetValue<int>());
        Assert.False(state.Body!["status500"]!.GetValue<bool>());
        Assert.Equal(300, Emu.Faults.DelayMs);

        // The request still succeeds (a slow MediaMTX, not a broken one); no timing is asserted.
        Assert.Equal(200, (await Get("/v3/paths/list")).Status);
    }

    [Theory]
    [InlineData("""{"delayMs": -1}""")]
    [InlineData("""{"delayMs": 60001}""")]
    [InlineData("""{"delayMs": "slow"}""")]
    [InlineData("""[1]""")]
    [InlineData("""not json""")]
    public async Task BadBody_Is400_AndChangesNothing(string body)
    {
        Assert.Equal(200, (await Post(Faults.Path, """{"status500": true}""")).Status);

        var refused = await Post(Faults.Path, body);

        Assert.Equal(400, refused.Status);
        Assert.Equal("error", refused.Body!["status"]!.GetValue<string>());
        Assert.True(Emu.Faults.Status500);
        Assert.Equal(0, Emu.Faults.DelayMs);
    }

    [Fact]
    public async Task Restart_ClearsTheFaults()
    {
        Assert.Equal(200, (await Post(Faults.Path, """{"status500": true, "delayMs": 10}""")).Status);

        await Emu.StopAsync(CancellationToken.None);
        await Emu.StartAsync(CancellationToken.None);

        Assert.Equal(200, (await Get("/v3/paths/list")).Status);
        Assert.False(Emu.Faults.Status500);
    }
}
