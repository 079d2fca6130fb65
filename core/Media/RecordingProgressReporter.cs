using CameraService.Core.Events;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CameraService.Core.Media;

/// <summary>
/// Every <see cref="RecordingOptions.ProgressInterval"/> while recordings run: asks the backend once for what they have
/// written (files and bytes, the segment being written included) and sends each a <c>recording_progress</c>
/// notification on the <c>recording.progress</c> topic, which sessions receive only when they subscribe to it.
/// One backend call per interval for all cameras; nothing at all while no camera records.
/// </summary>
internal sealed partial class RecordingProgressReporter(
    RecordingBoard recordings,
    IEventPublisher events,
    IOptions<RecordingOptions> options,
    TimeProvider time,
    ILogger<RecordingProgressReporter> logger) : BackgroundService
{
    /// <summary>One round: refresh every running session and report it. Returns how many were reported.</summary>
    public async Task<int> ReportAsync(CancellationToken cancellationToken)
    {
        if (recordings.Active.IsEmpty)
        {
            return 0;
        }

        var reported = 0;
        foreach (var session in await recordings.RefreshAllAsync(cancellationToken).ConfigureAwait(false))
        {
            var files = session.Files;
            events.PublishRecordingProgress(new RecordingProgressEvent(
                session.CameraId,
                session.SessionId,
                session.ElapsedSeconds(time),
                session.BytesWritten,
                files.Count > 0 ? Path.GetFileName(files[^1].Path) : null,
                files.Count));
            reported++;
        }

        return reported;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ProgressInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await ReportAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException) // progress is best effort; the next tick tries again
                {
                    LogReportFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    [LoggerMessage(EventId = 1361, Level = LogLevel.Warning, Message = "Recording progress could not be reported")]
    private static partial void LogReportFailed(ILogger logger, Exception exception);
}
