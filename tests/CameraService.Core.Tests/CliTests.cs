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

    [Fact]
    public async Task TokenRevoke_ByJtiAndByUser_ServiceRefusesTheTokens()
    {
        var (_, first, firstInfo) = await RunAsync("token", "create", "--role", "viewer", "--user", "alice");
        var (_, second, _) = await RunAsync("token", "create", "--role", "viewer", "--user", "bob");
        var jti = System.Text.RegularExpressions.Regex.Match(firstInfo, "Token ([0-9a-f]{32}) for").Groups[1].Value;
        await Task.Delay(TimeSpan.FromMilliseconds(1100)); // iat has one-second resolution: bob's token is strictly older than the cut-off

        var (byId, _, _) = await RunAsync("token", "revoke", jti);
        var (byUser, _, _) = await RunAsync("token", "revoke", "--user", "bob");
        var (neither, _, neitherError) = await RunAsync("token", "revoke");
        await using var core = new CoreHarness(stateDirectory: _state, time: new Microsoft.Extensions.Time.Testing.FakeTimeProvider(TimeProvider.System.GetUtcNow()));

        Assert.Equal(32, jti.Length);
        Assert.Equal((0, 0), (byId, byUser));
        Assert.NotEqual(0, neither);
        Assert.Contains("--user", neitherError, StringComparison.Ordinal);
        Assert.Equal("token_revoked", (await CoreHarness.CallAsync(core.Open().Session, "authenticate", $$"""{"auth_token":"{{first.Trim()}}"}""")).Error(RpcErrorCodes.AuthenticationFailed).Str("reason"));
        Assert.Equal("token_revoked", (await CoreHarness.CallAsync(core.Open().Session, "authenticate", $$"""{"auth_token":"{{second.Trim()}}"}""")).Error(RpcErrorCodes.AuthenticationFailed).Str("reason"));
    }

    [Fact]
    public async Task TokenCreate_TenYearTtl_RefusedAboveMaxTokenLifetime()
    {
        var (code, output, error) = await RunAsync("token", "create", "--role", "admin", "--ttl", "3650d");

        Assert.NotEqual(0, code);
        Assert.Equal(string.Empty, output.Trim());
        Assert.Contains("Auth:MaxTokenLifetime", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApiKeyCreate_AsRoot_FilesBelongToTheStateDirectorysOwner()
    {
        // Issue 17, hole 6: `sudo camera-service apikey create` wrote a root-owned 0600 file the service could not read.
        if (Environment.UserName != "root")
        {
            return; // only root can create a file owned by someone else; CI runs as root
        }

        Chown("65534:65534", _state);
        var (code, _, error) = await RunAsync("apikey", "create", "--role", "viewer", "--cameras", "camera0");

        Assert.True(code == 0, error);
        Assert.Equal("65534", Stat(Path.Combine(_state, Auth.ApiKeyStore.FileName)));
        Assert.Equal("65534", Stat(Path.Combine(_state, Auth.JwtSecret.FileName)));
    }

    private static void Chown(string owner, string path) => Process.Start("chown", [owner, path])!.WaitForExit();

    private static string Stat(string path)
    {
        using var stat = Process.Start(new ProcessStartInfo("stat", ["-c", "%u", path]) { RedirectStandardOutput = true })!;
        var uid = stat.StandardOutput.ReadToEnd().Trim();
        stat.WaitForExit();
        return uid;
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
