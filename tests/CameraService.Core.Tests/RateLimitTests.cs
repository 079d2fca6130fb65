using CameraService.Core.Rpc;

namespace CameraService.Core.Tests;

public sealed class RateLimitTests
{
    private static Dictionary<string, string?> Limit(int rate, int burst) => new()
    {
        ["Api:RateLimit:RequestsPerSecond"] = rate.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Api:RateLimit:Burst"] = burst.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    [Fact]
    public async Task Call_BeyondBurst_Returns32040WithRetryAfterThenRecovers()
    {
        await using var core = new CoreHarness(Limit(10, 5));
        var (session, _) = core.Open();
        for (var i = 0; i < 5; i++)
        {
            (await CoreHarness.CallAsync(session, "ping", id: i)).Result();
        }

        var limited = await CoreHarness.CallAsync(session, "ping", id: 99);
        core.Time.Advance(TimeSpan.FromMilliseconds(100));
        var recovered = await CoreHarness.CallAsync(session, "ping", id: 100);

        var data = limited.Error(RpcErrorCodes.RateLimited);
        Assert.Equal(100, data.GetProperty("retry_after_ms").GetInt32());
        Assert.Equal(99, limited.GetProperty("id").GetInt32());
        recovered.Result();
    }

    [Fact]
    public async Task Batch_EachRequestCountsOnce()
    {
        await using var core = new CoreHarness(Limit(10, 6));
        var (session, _) = core.Open();
        const string batch = """[{"jsonrpc":"2.0","method":"ping","id":1},{"jsonrpc":"2.0","method":"ping","id":2},{"jsonrpc":"2.0","method":"ping","id":3}]""";

        var first = (await CoreHarness.SendAsync(session, batch))!.Value;
        var second = (await CoreHarness.SendAsync(session, batch))!.Value;
        var third = (await CoreHarness.SendAsync(session, batch))!.Value;

        Assert.All(first.EnumerateArray(), r => r.Result());
        Assert.All(second.EnumerateArray(), r => r.Result());
        Assert.All(third.EnumerateArray(), r => r.Error(RpcErrorCodes.RateLimited));
    }

    [Fact]
    public async Task Call_LimitIsPerSession()
    {
        await using var core = new CoreHarness(Limit(1, 1));
        var (a, _) = core.Open();
        var (b, _) = core.Open();

        (await CoreHarness.CallAsync(a, "ping")).Result();
        (await CoreHarness.CallAsync(a, "ping")).Error(RpcErrorCodes.RateLimited);
        var other = await CoreHarness.CallAsync(b, "ping");

        other.Result();
    }

    [Fact]
    public async Task Notification_WhenLimited_IsNotAnswered()
    {
        await using var core = new CoreHarness(Limit(1, 1));
        var (session, _) = core.Open();
        (await CoreHarness.CallAsync(session, "ping")).Result();

        var response = await CoreHarness.SendAsync(session, """{"jsonrpc":"2.0","method":"ping"}""");

        Assert.Null(response);
    }
}
