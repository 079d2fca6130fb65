using System.Diagnostics;
using System.Text.RegularExpressions;
using CameraService.Perf.Echo;

namespace CameraService.Perf.Targets;

/// <summary>
/// Runs the echo server either in this process (tests) or as a child process of this tool (the default, so its
/// CPU and RSS are measured apart from the load client's).
/// </summary>
internal sealed partial class EchoTarget : ITarget
{
    private readonly EchoServer? _inProcess;
    private readonly Process? _process;

    private EchoTarget(TargetInfo info, EchoServer? inProcess, Process? process)
    {
        Info = info;
        _inProcess = inProcess;
        _process = process;
    }

    public TargetInfo Info { get; }

    public static async Task<EchoTarget> StartAsync(bool inProcess, bool inlineScheduling, CancellationToken cancellationToken)
    {
        if (inProcess)
        {
            var server = await EchoServer.StartAsync(new EchoServerOptions(InlineScheduling: inlineScheduling), cancellationToken).ConfigureAwait(false);
            return new EchoTarget(new TargetInfo(TargetKind.Echo, server.WebSocketUri, "echo-token", Environment.ProcessId, null, null), server, null);
        }

        List<string> arguments = ["echo-server", "--port", "0", "--exit-on-stdin-close"];
        if (inlineScheduling)
        {
            arguments.Add("--inline");
        }

        var start = SelfStartInfo(arguments);
        var process = Process.Start(start) ?? throw new PerfException("could not start the echo server process");
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            while (true)
            {
                var line = await process.StandardOutput.ReadLineAsync(timeout.Token).ConfigureAwait(false)
                    ?? throw new PerfException($"the echo server process exited before listening: {await process.StandardError.ReadToEndAsync(cancellationToken).ConfigureAwait(false)}");
                var match = ListeningLine().Match(line);
                if (match.Success)
                {
                    var uri = new Uri(match.Groups[1].Value);
                    return new EchoTarget(new TargetInfo(TargetKind.Echo, uri, "echo-token", process.Id, null, null), null, process);
                }
            }
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    /// <summary>How to start this tool again with other arguments (apphost, or dotnet + dll under a test host).</summary>
    internal static ProcessStartInfo SelfStartInfo(IEnumerable<string> arguments)
    {
        var processPath = Environment.ProcessPath ?? "dotnet";
        var dll = typeof(EchoTarget).Assembly.Location;
        var start = new ProcessStartInfo
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var apphost = Path.Combine(AppContext.BaseDirectory, "CameraService.Perf");
        if (Path.GetFileNameWithoutExtension(processPath) == "CameraService.Perf")
        {
            start.FileName = processPath;
        }
        else if (File.Exists(apphost))
        {
            start.FileName = apphost;
        }
        else
        {
            start.FileName = "dotnet";
            start.ArgumentList.Add(dll);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }

    public async ValueTask DisposeAsync()
    {
        if (_inProcess is not null)
        {
            await _inProcess.DisposeAsync().ConfigureAwait(false);
        }

        if (_process is not null)
        {
            // Closing stdin tells the echo server process to stop (it also stops if this process dies).
            _process.StandardInput.Close();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.Dispose();
        }
    }

    [GeneratedRegex(@"listening on (ws://\S+)")]
    private static partial Regex ListeningLine();
}
