using System.Text.Json;

namespace CameraService.Core.Tests.Fakes;

/// <summary>Waiting for the recording notifications a fake connection received.</summary>
internal static class RecordingNotifications
{
    /// <summary>The params of the first <c>recording_status_update</c> with <paramref name="status"/> (waits up to 5 s).</summary>
    public static async Task<JsonElement> WaitForRecordingUpdate(this FakeRpcConnection connection, string status)
    {
        for (var i = 0; i < 500; i++)
        {
            var match = connection.Parsed.FirstOrDefault(n =>
                n.Str("method") == "recording_status_update" && n.GetProperty("params").Str("status") == status);
            if (match.ValueKind == JsonValueKind.Object)
            {
                return match.GetProperty("params");
            }

            await Task.Delay(10);
        }

        throw new Xunit.Sdk.XunitException($"no recording_status_update {status}; got: {string.Join(" | ", connection.Notifications)}");
    }
}
