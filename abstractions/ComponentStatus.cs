namespace CameraService.Abstractions;

/// <summary>Health of one component, as shown by <c>get_status</c> and <c>/health</c>.</summary>
/// <param name="State">The state.</param>
/// <param name="Message">Why, when not <see cref="ComponentState.Running"/>; readable by an operator.</param>
/// <param name="LastError">The last error seen, even if the component recovered.</param>
/// <param name="LastErrorTime">When <see cref="LastError"/> happened.</param>
public sealed record ComponentStatus(ComponentState State, string? Message = null, string? LastError = null, DateTimeOffset? LastErrorTime = null)
{
    /// <summary>A running component without remarks.</summary>
    public static ComponentStatus Running { get; } = new(ComponentState.Running);
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
