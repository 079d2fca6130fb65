namespace CameraService.Abstractions;

/// <summary>Health of one component, as shown by <c>get_status</c> and <c>/health</c>.</summary>
/// <remarks>Create it with an object initializer: <c>new ComponentStatus { State = ComponentState.Degraded, Message = "…" }</c>.</remarks>
public sealed record ComponentStatus
{
    /// <summary>A running component without remarks.</summary>
    public static ComponentStatus Running { get; } = new() { State = ComponentState.Running };

    /// <summary>The state.</summary>
    public required ComponentState State { get; init; }

    /// <summary>Why, when not <see cref="ComponentState.Running"/>; readable by an operator.</summary>
    public string? Message { get; init; }

    /// <summary>The last error seen, even if the component recovered.</summary>
    public string? LastError { get; init; }

    /// <summary>When <see cref="LastError"/> happened.</summary>
    public DateTimeOffset? LastErrorTime { get; init; }
}

/// <summary>Component states (upper-cased on the wire).</summary>
public enum ComponentState
{
    /// <summary>Works.</summary>
    Running,

    /// <summary>Works in part.</summary>
    Degraded,

    /// <summary>Does not work.</summary>
    Error,

    /// <summary>Not started or stopped.</summary>
    Stopped,
}
