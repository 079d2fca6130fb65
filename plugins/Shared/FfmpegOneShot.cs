using System.ComponentModel;
using System.Text;
using CameraService.Abstractions;
using CliWrap;

namespace CameraService.Plugins.Shared;

/// <summary>How a one-shot ffmpeg run ended.</summary>
/// <param name="TimedOut">The run went over its time and was killed.</param>
/// <param name="ExitCode">ffmpeg's exit code (meaningless when it timed out).</param>
/// <param name="LastError">The last non-empty line ffmpeg wrote to stderr, empty when none.</param>
internal readonly record struct FfmpegRunResult(bool TimedOut, int ExitCode, string LastError)
{
    public bool Succeeded => !TimedOut && ExitCode == 0;
}

/// <summary>
/// The one place a short ffmpeg run (a snapshot) is started, bounded and reaped, for every plugin that runs ffmpeg
/// (compiled into each, as plugins reference nothing but the abstractions). Long-running camera pipelines are
/// supervised by the ffmpeg backend's own process class; this is for runs that end by themselves. Process handling
/// (argument quoting, stderr capture, kill of the process tree on timeout or cancellation) is CliWrap's.
/// </summary>
internal static class FfmpegOneShot
{
    /// <summary>
    /// Runs <paramref name="executable"/> with <paramref name="arguments"/> for at most <paramref name="timeout"/> on
    /// <paramref name="time"/>'s clock. Cancelling <paramref name="cancellationToken"/> kills the process and throws.
    /// <paramref name="installHint"/> is what the user is told when ffmpeg cannot be started at all;
    /// <paramref name="running"/> is called with the process id at the start and with the id negated at the end, so an
    /// owner can kill what is still running when the service exits. <paramref name="standardInput"/>, when given, is
    /// written to ffmpeg's stdin (input <c>pipe:0</c>), which is then closed.
    /// </summary>
    public static async Task<FfmpegRunResult> RunAsync(
        string executable,
        IReadOnlyList<string> arguments,
        TimeSpan timeout,
        TimeProvider time,
        string installHint,
        Action<int>? running,
        CancellationToken cancellationToken,
        byte[]? standardInput = null)
    {
        var stderr = new StringBuilder();
        using var timeoutCts = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeoutCts.Token, cancellationToken);
        var command = Cli.Wrap(executable)
            .WithArguments(arguments)
            .WithValidation(CommandResultValidation.None)
            .WithStandardErrorPipe(PipeTarget.ToStringBuilder(stderr));
        if (standardInput is not null)
        {
            command = command.WithStandardInputPipe(PipeSource.FromBytes(standardInput));
        }

        CommandTask<CommandResult> task;
        try
        {
            task = command.ExecuteAsync(linked.Token);
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException)
        {
            throw new DependencyFailedException("ffmpeg", installHint, ex);
        }

        running?.Invoke(task.ProcessId);
        try
        {
            var result = await task.ConfigureAwait(false);
            return new FfmpegRunResult(false, result.ExitCode, LastLine(stderr));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new FfmpegRunResult(true, -1, LastLine(stderr));
        }
        finally
        {
            running?.Invoke(-task.ProcessId);
        }
    }

    private static string LastLine(StringBuilder stderr) =>
        stderr.ToString().Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.Length > 0) ?? string.Empty;
}
