using CameraService.Camctl;
using Spectre.Console.Testing;

namespace CameraService.Client.Tests.Fakes;

/// <summary>The result of one camctl run: exit code, what went to the console and what went to the raw writer (JSON).</summary>
internal sealed record CamctlResult(int ExitCode, string Console, string Raw)
{
    public string All => Console + Raw;
}

/// <summary>Runs camctl in-process through <c>Program.Run</c> with a recording console.</summary>
internal static class CamctlRunner
{
    public static async Task<CamctlResult> RunAsync(params string[] args)
    {
        var console = new TestConsole().Width(250);
        using var raw = new StringWriter();
        var run = Program.Run(args, console, raw);
        try
        {
            var code = await run.WaitAsync(TimeSpan.FromSeconds(30));
            return new CamctlResult(code, console.Output, raw.ToString());
        }
        catch (TimeoutException)
        {
            Assert.Fail($"camctl {string.Join(' ', args)} did not finish; so far:\n{console.Output}{raw}");
            throw;
        }
    }

    /// <summary>Runs against <paramref name="server"/> with --url and the good token.</summary>
    public static Task<CamctlResult> RunAsync(FakeRpcServer server, params string[] args) =>
        RunAsync([.. args, "--url", server.WsUrl.ToString(), "--token", FakeRpcServer.GoodToken]);
}

/// <summary>
/// Sets environment variables for one test and restores them. Environment variables are process-wide, so every
/// camctl test runs in <see cref="CamctlCollection"/> (no parallelism).
/// </summary>
internal sealed class EnvScope : IDisposable
{
    private readonly Dictionary<string, string?> _saved = [];

    public EnvScope Set(string name, string? value)
    {
        if (!_saved.ContainsKey(name))
        {
            _saved[name] = Environment.GetEnvironmentVariable(name);
        }

        Environment.SetEnvironmentVariable(name, value);
        return this;
    }

    public void Dispose()
    {
        foreach (var (name, value) in _saved)
        {
            Environment.SetEnvironmentVariable(name, value);
        }
    }
}

/// <summary>camctl reads CAMCTL_* variables; its tests must not run alongside each other.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CamctlCollection
{
    public const string Name = "camctl (process environment)";
}
