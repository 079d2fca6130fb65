using System.Text.Json;
using CameraService.Core.Hosting;
using CameraService.Core.Methods;
using Microsoft.Extensions.Logging;

namespace CameraService.Core.Media;

/// <summary>
/// The active recording sessions in the state directory (<c>recording-sessions.json</c>), so that a restarted service
/// re-adopts them. Written atomically after every change; an unreadable file is logged and treated as empty.
/// </summary>
internal sealed class RecordingSessionFile(StateDirectory state, ILogger logger)
{
    public const string Name = "recording-sessions.json";

    private readonly Lock _writeLock = new();

    public List<PersistedSession> Read()
    {
        var bytes = state.ReadOrNull(Name);
        if (bytes is null)
        {
            return [];
        }

        try
        {
            return JsonSerializer.Deserialize(bytes, MediaJsonContext.Default.ListPersistedSession) ?? [];
        }
        catch (JsonException ex)
        {
            RecordingLog.StateUnreadable(logger, ex, state.PathOf(Name));
            return [];
        }
    }

    public void Write(IEnumerable<RecordingSession> active)
    {
        lock (_writeLock)
        {
            var list = active
                .Select(s => s.ToPersisted())
                .OrderBy(s => s.CameraId, StringComparer.Ordinal)
                .ToList();
            state.WriteAtomic(Name, JsonSerializer.SerializeToUtf8Bytes(list, MediaJsonContext.Default.ListPersistedSession));
        }
    }
}
