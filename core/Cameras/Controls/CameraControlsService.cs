using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Serialization;
using CameraService.Abstractions;
using CameraService.Abstractions.Cameras;
using CameraService.Core.Events;
using CameraService.Core.Plugins;
using CameraService.Core.Rpc;
using Microsoft.Extensions.Logging;

namespace CameraService.Core.Cameras.Controls;

/// <summary>A control on the wire (api-contract.md §8.3), plus the additive fields <c>grabbed</c>, <c>relative</c>, <c>auto_mode</c>, <c>label</c>, <c>persisted</c>.</summary>
internal sealed record CameraControlEntry(
    string Name,
    [property: AllowedValues("integer", "boolean", "menu", "button")] string Type,
    long Min,
    long Max,
    long Step,
    long Default,
    long? Value,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<CameraControlMenuEntry>? Menu,
    bool ReadOnly,
    bool Inactive,
    bool Grabbed,
    bool Relative,
    bool AutoMode,
    string? Label,
    bool Persisted);

/// <summary>A menu entry on the wire.</summary>
internal sealed record CameraControlMenuEntry(long Value, string Label);

/// <summary>Result of <c>get_camera_controls</c>.</summary>
internal sealed record CameraControlsResult(string Device, IReadOnlyList<CameraControlEntry> Controls);

/// <summary>Result of <c>set_camera_controls</c>.</summary>
internal sealed record CameraControlsSetResult(string Device, IReadOnlyDictionary<string, long> Applied, IReadOnlyList<CameraControlEntry> Controls, bool Persisted);

/// <summary>Result of <c>reset_camera_controls</c>.</summary>
internal sealed record CameraControlsResetResult(
    string Device,
    bool Reset,
    IReadOnlyDictionary<string, long> Applied,
    IReadOnlyDictionary<string, string> Skipped,
    IReadOnlyList<CameraControlEntry> Controls);

/// <summary>Params of the <c>camera_controls_changed</c> notification.</summary>
internal sealed record CameraControlsChangedEvent(string Device, IReadOnlyDictionary<string, long> Controls);

/// <summary>
/// Camera controls in the core: the API operations over a source's <see cref="ICameraControls"/>, persistence of
/// the values a client set (per stable id, <see cref="CameraControlStore"/>), re-applying them (automatic modes first)
/// whenever a camera becomes available — first discovery after a restart, replug, recovery from an error — and the
/// <c>camera_controls_changed</c> notification for every change, including changes made behind the service's back.
/// </summary>
internal sealed partial class CameraControlsService(
    ActiveComponents components,
    CameraRegistry registry,
    CameraControlStore store,
    IEventPublisher events,
    ILogger<CameraControlsService> logger) : IDisposable
{
    private readonly Lock _gate = new();
    private readonly List<Action> _detach = [];
    private readonly HashSet<(string Source, string StableId)> _available = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly Dictionary<(string Source, string StableId), Task> _restores = [];

    /// <summary>Subscribes to every source (before the sources start, so the first discovery re-applies persisted values).</summary>
    public void Attach()
    {
        lock (_gate)
        {
            if (_detach.Count > 0)
            {
                return;
            }

            foreach (var source in components.CameraSources)
            {
                if (source is not ICameraControls controls)
                {
                    continue;
                }

                EventHandler<CameraChangedEventArgs> changed = (_, e) => OnCameraChanged(source.Name, controls, e);
                EventHandler<CameraControlsChangedEventArgs> controlsChanged = (_, e) => OnControlsChanged(source.Name, e);
                source.CameraChanged += changed;
                controls.ControlsChanged += controlsChanged;
                _detach.Add(() =>
                {
                    source.CameraChanged -= changed;
                    controls.ControlsChanged -= controlsChanged;
                });
            }
        }
    }

    /// <summary>Unsubscribes and cancels pending restores.</summary>
    public void Detach()
    {
        lock (_gate)
        {
            foreach (var detach in _detach)
            {
                detach();
            }

            _detach.Clear();
        }

        _stopping.Cancel();
    }

    public void Dispose()
    {
        Detach();
        _stopping.Dispose();
    }

    /// <summary>The pending restore of a camera, if any (tests wait for it).</summary>
    internal Task RestoreOf(string source, string stableId)
    {
        lock (_gate)
        {
            return _restores.GetValueOrDefault((source, stableId)) ?? Task.CompletedTask;
        }
    }

    public async Task<CameraControlsResult> GetAsync(CameraView camera, CancellationToken cancellationToken)
    {
        var (source, controls) = Resolve(camera);
        var infos = await controls.GetControlsAsync(camera.Binding.StableId, cancellationToken).ConfigureAwait(false);
        return new CameraControlsResult(camera.Id, ToWire(infos, store.Get(source, camera.Binding.StableId)));
    }

    /// <summary>The <c>controls</c> of <c>get_camera_capabilities</c>: empty for a camera that is not connected or has none.</summary>
    public async Task<IReadOnlyList<CameraControlEntry>> CapabilityControlsAsync(CameraView camera, CancellationToken cancellationToken)
    {
        if (camera.Status != CameraStatus.Connected || SourceOf(camera) is not ICameraControls controls)
        {
            return [];
        }

        try
        {
            var infos = await controls.GetControlsAsync(camera.Binding.StableId, cancellationToken).ConfigureAwait(false);
            return ToWire(infos, store.Get(camera.Binding.Source, camera.Binding.StableId));
        }
        catch (CameraServiceException ex)
        {
            // Capabilities still answer (formats, sizes) when the controls cannot be read right now.
            LogControlsUnavailable(logger, ex, camera.Id, ex.Message);
            return [];
        }
    }

    public async Task<CameraControlsSetResult> SetAsync(CameraView camera, JsonElement requested, bool persist, CancellationToken cancellationToken)
    {
        var (source, controls) = Resolve(camera);
        var stableId = camera.Binding.StableId;
        var infos = await controls.GetControlsAsync(stableId, cancellationToken).ConfigureAwait(false);
        var values = Convert(requested, infos);
        var result = await controls.SetControlsAsync(stableId, values, CameraControlApplyMode.AllOrNothing, cancellationToken).ConfigureAwait(false);
        if (persist)
        {
            var keep = values
                .Where(v => infos.FirstOrDefault(i => i.Name == v.Key) is { Relative: false, Type: not CameraControlType.Button, ReadOnly: false })
                .ToDictionary(v => v.Key, v => result.Applied.GetValueOrDefault(v.Key, v.Value), StringComparer.Ordinal);
            try
            {
                store.Merge(source, stableId, keep);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new DependencyFailedException(
                    "state directory", "the values were applied but could not be saved, so they will not survive a restart; check that State:Directory is writable", ex);
            }
        }

        Publish(camera.Id, result.Applied);
        return new CameraControlsSetResult(camera.Id, result.Applied, ToWire(result.Controls, store.Get(source, stableId)), persist);
    }

    public async Task<CameraControlsResetResult> ResetAsync(CameraView camera, CancellationToken cancellationToken)
    {
        var (source, controls) = Resolve(camera);
        var result = await controls.ResetControlsAsync(camera.Binding.StableId, cancellationToken).ConfigureAwait(false);
        try
        {
            store.Forget(source, camera.Binding.StableId);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new DependencyFailedException(
                "state directory", "the defaults were restored but the saved values could not be removed; they would come back after a restart; check that State:Directory is writable", ex);
        }

        Publish(camera.Id, result.Applied);
        return new CameraControlsResetResult(camera.Id, true, result.Applied, result.Skipped, ToWire(result.Controls, new Dictionary<string, long>()));
    }

    private static Dictionary<string, long> Convert(JsonElement requested, IReadOnlyList<CameraControlInfo> infos)
    {
        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var member in requested.EnumerateObject())
        {
            var param = "controls." + member.Name;
            var info = infos.FirstOrDefault(i => i.Name == member.Name)
                ?? throw RpcErrorException.InvalidParams(param, "unknown_control");
            values[member.Name] = member.Value.ValueKind switch
            {
                JsonValueKind.True => 1,
                JsonValueKind.False => 0,
                JsonValueKind.Number => member.Value.GetInt64(),

                // A menu entry may be named by its label ("50 Hz"), as a person reads it off the list.
                JsonValueKind.String => info.Menu.FirstOrDefault(m => string.Equals(m.Label, member.Value.GetString(), StringComparison.OrdinalIgnoreCase))?.Value
                    ?? throw RpcErrorException.InvalidParams(param, info.Menu.Count > 0
                        ? "not_in_menu:" + string.Join('|', info.Menu.Select(m => m.Label))
                        : "type:integer"),
                _ => throw RpcErrorException.InvalidParams(param, "type:integer|boolean|string"),
            };
        }

        return values;
    }

    private static List<CameraControlEntry> ToWire(IReadOnlyList<CameraControlInfo> infos, IReadOnlyDictionary<string, long> persisted) =>
    [
        .. infos.Select(i => new CameraControlEntry(
            i.Name,
            i.Type switch
            {
                CameraControlType.Boolean => "boolean",
                CameraControlType.Menu => "menu",
                CameraControlType.Button => "button",
                _ => "integer",
            },
            i.Minimum,
            i.Maximum,
            i.Step,
            i.Default,
            i.Value,
            i.Type == CameraControlType.Menu ? [.. i.Menu.Select(m => new CameraControlMenuEntry(m.Value, m.Label))] : null,
            i.ReadOnly,
            i.Inactive,
            i.Grabbed,
            i.Relative,
            i.AutoMode,
            i.Label,
            persisted.ContainsKey(i.Name))),
    ];

    private ICameraSource? SourceOf(CameraView camera) =>
        components.CameraSources.FirstOrDefault(s => string.Equals(s.Name, camera.Binding.Source, StringComparison.Ordinal));

    private (string Source, ICameraControls Controls) Resolve(CameraView camera)
    {
        if (SourceOf(camera) is not ICameraControls controls)
        {
            throw new RpcErrorException(
                RpcErrorCodes.Unsupported,
                RpcErrorException.Item("feature", "controls"),
                RpcErrorException.Item("message", $"The camera source '{camera.Binding.Source}' offers no camera controls."));
        }

        if (camera.Status != CameraStatus.Connected)
        {
            throw new RpcErrorException(
                RpcErrorCodes.InvalidState,
                RpcErrorException.Item("reason", "camera_not_connected"),
                RpcErrorException.Item("state", camera.StatusText),
                RpcErrorException.Item("message", $"{camera.Id} is {camera.StatusText}; controls can be read and set while it is connected."));
        }

        return (camera.Binding.Source, controls);
    }

    private void OnCameraChanged(string source, ICameraControls controls, CameraChangedEventArgs e)
    {
        try
        {
            var key = (source, e.Camera.StableId);
            var available = e.Kind is not (CameraChangeKind.Removed or CameraChangeKind.Deleted) && e.Camera.State == CameraState.Available;
            lock (_gate)
            {
                if (!available)
                {
                    _available.Remove(key);
                    return;
                }

                if (!_available.Add(key))
                {
                    return;
                }

                var values = store.Get(source, e.Camera.StableId);
                if (values.Count == 0 || _stopping.IsCancellationRequested)
                {
                    return;
                }

                // Off the source's thread (a handler must not block); one restore per camera at a time.
                var previous = _restores.GetValueOrDefault(key) ?? Task.CompletedTask;
                _restores[key] = previous.ContinueWith(
                    _ => RestoreAsync(source, controls, e.Camera.StableId, values),
                    CancellationToken.None,
                    TaskContinuationOptions.None,
                    TaskScheduler.Default).Unwrap();
            }
        }
        catch (Exception ex) // a source must never see an exception from its event (ICameraSource contract)
        {
            LogRestoreFailed(logger, ex, e.Camera.StableId);
        }
    }

    private async Task RestoreAsync(string source, ICameraControls controls, string stableId, IReadOnlyDictionary<string, long> values)
    {
        try
        {
            var result = await controls.SetControlsAsync(stableId, values, CameraControlApplyMode.Restore, _stopping.Token).ConfigureAwait(false);
            foreach (var (name, reason) in result.Skipped)
            {
                LogRestoreSkipped(logger, stableId, name, reason);
            }

            LogRestored(logger, stableId, result.Applied.Count, result.Skipped.Count);
            if (DeviceOf(source, stableId) is { } device)
            {
                Publish(device, result.Applied);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Shutting down.
        }
        catch (Exception ex) // the camera may be gone again or refuse; the values stay persisted for the next time
        {
            LogRestoreFailed(logger, ex, stableId);
        }
    }

    private void OnControlsChanged(string source, CameraControlsChangedEventArgs e)
    {
        try
        {
            if (DeviceOf(source, e.StableId) is { } device)
            {
                Publish(device, e.Values);
            }
        }
        catch (Exception ex) // a source must never see an exception from its event
        {
            LogRestoreFailed(logger, ex, e.StableId);
        }
    }

    private string? DeviceOf(string source, string stableId) =>
        registry.Cameras.FirstOrDefault(c => c.Binding.Source == source && c.Binding.StableId == stableId)?.Id;

    private void Publish(string device, IReadOnlyDictionary<string, long> values)
    {
        if (values.Count == 0)
        {
            return;
        }

        events.Publish(
            EventTopics.CameraControls,
            "camera_controls_changed",
            device,
            new CameraControlsChangedEvent(device, values),
            CameraControlsJsonContext.Default.CameraControlsChangedEvent);
    }

    [LoggerMessage(EventId = 1801, Level = LogLevel.Information, Message = "Persisted controls of {StableId} re-applied: {Applied} applied, {Skipped} skipped")]
    private static partial void LogRestored(ILogger logger, string stableId, int applied, int skipped);

    [LoggerMessage(EventId = 1802, Level = LogLevel.Warning, Message = "Persisted control {Control} of {StableId} not re-applied: {Reason}")]
    private static partial void LogRestoreSkipped(ILogger logger, string stableId, string control, string reason);

    [LoggerMessage(EventId = 1803, Level = LogLevel.Warning, Message = "Re-applying the persisted controls of {StableId} failed; they stay saved for the next connection")]
    private static partial void LogRestoreFailed(ILogger logger, Exception exception, string stableId);

    [LoggerMessage(EventId = 1804, Level = LogLevel.Debug, Message = "Controls of {CameraId} are unavailable: {Reason}")]
    private static partial void LogControlsUnavailable(ILogger logger, Exception exception, string cameraId, string reason);
}
