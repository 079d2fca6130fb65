using CameraService.Abstractions.Api;
using CameraService.Core.Rpc;
using System.Diagnostics;

namespace CameraService.Core.Tests;

/// <summary>The token and apikey commands, run as the real binary against a state directory the service then uses.</summary>
public sealed class CliTests : IDisposable
{
    private readonly string _state = Directory.CreateTempSubdirectory("cli-tests-").FullName;

    public void Dispose() => Directory.Delete(_state, recursive: true);

    [Fact]
    public async Task TokenCreate_PrintsTokenTheServiceAccepts()
    {
        var (code, output, _) = await RunAsync("token", "create", "--role", "operator", "--ttl", "2h", "--user", "alice");
        await using var core = new CoreHarness(stateDirectory: _state, time: new Microsoft.Extensions.Time.Testing.FakeTimeProvider(TimeProvider.System.GetUtcNow()));
        var (session, _) = core.Open();

        var result = (await CoreHarness.CallAsync(session, "authenticate", $$"""{"auth_token":"{{output.Trim()}}"}""")).Result();

        Assert.Equal(0, code);
        Assert.Equal("operator", result.Str("role"));
        var expires = DateTimeOffset.Parse(result.Str("expires_at")!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expires - TimeProvider.System.GetUtcNow(), TimeSpan.FromMinutes(110), TimeSpan.FromMinutes(121));
    }

    [Fact]
    public async Task TokenCreate_ConfiguredSecret_SignsWithIt()
    {
        var secret = new string('s', 40);
        var (code, output, _) = await RunAsync("token", "create", "--role", "admin", $"--Auth:JwtSecret={secret}");
        await using var core = new CoreHarness(new Dictionary<string, string?> { ["Auth:JwtSecret"] = secret }, time: new Microsoft.Extensions.Time.Testing.FakeTimeProvider(TimeProvider.System.GetUtcNow()));
        await using var otherSecret = new CoreHarness(time: new Microsoft.Extensions.Time.Testing.FakeTimeProvider(TimeProvider.System.GetUtcNow()));

        var accepted = await CoreHarness.CallAsync(core.Open().Session, "authenticate", $$"""{"auth_token":"{{output.Trim()}}"}""");
        var refused = await CoreHarness.CallAsync(otherSecret.Open().Session, "authenticate", $$"""{"auth_token":"{{output.Trim()}}"}""");

        Assert.Equal(0, code);
        Assert.Equal("admin", accepted.Result().Str("role"));
        refused.Error(RpcErrorCodes.AuthenticationFailed);
    }

    [Theory]
    [InlineData("--ttl", "soon")]
    [InlineData("--ttl", "-5m")]
    [InlineData("--user", " ")]
    public async Task TokenCreate_BadInput_FailsWithMessageAndWritesNoToken(string option, string value)
    {
        var (code, output, error) = await RunAsync("token", "create", "--role", "viewer", option, value);

        Assert.NotEqual(0, code);
        Assert.Equal(string.Empty, output.Trim());
        Assert.Contains(option, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApiKey_CreateListRevoke_ServiceFollows()
    {
        var (createCode, key, _) = await RunAsync("apikey", "create", "--role", "viewer", "--name", "kiosk", "--ttl", "30d");
        key = key.Trim();
        await using var core = new CoreHarness(stateDirectory: _state, time: new Microsoft.Extensions.Time.Testing.FakeTimeProvider(TimeProvider.System.GetUtcNow()));
        var (session, _) = core.Open();
        var auth = (await CoreHarness.CallAsync(session, "authenticate", $$"""{"auth_token":"{{key}}"}""")).Result();
        var (_, list, _) = await RunAsync("apikey", "list");
        var id = list.Split('\n').Single(l => l.Contains("kiosk", StringComparison.Ordinal)).Split(' ')[0];

        var (revokeCode, _, _) = await RunAsync("apikey", "revoke", id);
        core.Time.Advance(TimeSpan.FromSeconds(2));
        var after = await CoreHarness.CallAsync(session, "get_camera_list");
        var (_, listAfter, _) = await RunAsync("apikey", "list");
        var (unknownCode, _, unknownError) = await RunAsync("apikey", "revoke", "key_missing");

        Assert.Equal(0, createCode);
        Assert.StartsWith("csk_", key, StringComparison.Ordinal);
        Assert.Equal("viewer", auth.Str("role"));
        Assert.False(string.IsNullOrEmpty(auth.Str("expires_at")));
        Assert.DoesNotContain(key, list, StringComparison.Ordinal);
        Assert.Equal(0, revokeCode);
        Assert.Equal("api_key_revoked", after.Error(RpcErrorCodes.AuthenticationFailed).Str("reason"));
        Assert.Contains("revoked", listAfter.Split('\n').Single(l => l.Contains("kiosk", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.NotEqual(0, unknownCode);
        Assert.Contains("key_missing", unknownError, StringComparison.Ordinal);
    }

    /// <summary>Runs the real <c>camera-service</c> binary (built next to the tests) with a private config folder and state directory.</summary>
    private async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        var config = Path.Combine(_state, "empty-config");
        Directory.CreateDirectory(config);
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "camera-service.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.ArgumentList.Add("--config");
        start.ArgumentList.Add(config);
        start.ArgumentList.Add($"--State:Directory={_state}");
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }
}
