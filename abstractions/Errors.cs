namespace CameraService.Abstractions;

/// <summary>
/// Base of the expected failures a plugin reports. The core maps each subtype to the error code
/// of the API contract; the <see cref="Exception.Message"/> is shown to the API client, so it must
/// say what the user can do and must not contain server paths or secrets.
/// </summary>
public abstract class CameraServiceException : Exception
{
    /// <summary>Creates the exception with a user-facing message.</summary>
    protected CameraServiceException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>A camera, file or stream does not exist (API error -32010).</summary>
public sealed class ResourceNotFoundException : CameraServiceException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="resource">What kind of thing is missing: <c>camera</c>, <c>recording</c>, <c>snapshot</c>, <c>stream</c>.</param>
    /// <param name="id">The id or file name that was asked for.</param>
    /// <param name="message">A user-facing message.</param>
    public ResourceNotFoundException(string resource, string id, string? message = null)
        : base(message ?? $"The {resource} '{id}' does not exist.")
    {
        Resource = resource;
        Id = id;
    }

    /// <summary>The kind of resource.</summary>
    public string Resource { get; }

    /// <summary>The id or name asked for.</summary>
    public string Id { get; }
}

/// <summary>The operation does not fit the current state, e.g. already recording (API error -32020).</summary>
public sealed class InvalidStateException : CameraServiceException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="reason">A short machine-readable reason, e.g. <c>already_recording</c>.</param>
    /// <param name="state">The current state, e.g. <c>RECORDING</c>.</param>
    /// <param name="message">A user-facing message.</param>
    public InvalidStateException(string reason, string state, string message)
        : base(message)
    {
        Reason = reason;
        State = state;
    }

    /// <summary>Machine-readable reason.</summary>
    public string Reason { get; }

    /// <summary>The current state.</summary>
    public string State { get; }
}

/// <summary>The feature is not offered by the active plugins or disabled (API error -32030).</summary>
public sealed class UnsupportedFeatureException : CameraServiceException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="feature">The feature, e.g. <c>webrtc</c>.</param>
    /// <param name="message">A user-facing message.</param>
    public UnsupportedFeatureException(string feature, string message)
        : base(message)
    {
        Feature = feature;
    }

    /// <summary>The feature asked for.</summary>
    public string Feature { get; }
}

/// <summary>A dependency (MediaMTX, ffmpeg, a device) failed or is unreachable (API error -32050).</summary>
public sealed class DependencyFailedException : CameraServiceException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="dependency">The dependency, e.g. <c>mediamtx</c>, <c>ffmpeg</c>, <c>device</c>.</param>
    /// <param name="detail">What failed, readable by a user (no server paths).</param>
    /// <param name="innerException">The cause, for the log only.</param>
    public DependencyFailedException(string dependency, string detail, Exception? innerException = null)
        : base($"{dependency} failed: {detail}", innerException)
    {
        Dependency = dependency;
        Detail = detail;
    }

    /// <summary>The dependency name.</summary>
    public string Dependency { get; }

    /// <summary>The failure detail.</summary>
    public string Detail { get; }
}

/// <summary>Free space is below the block threshold (API error -32060).</summary>
public sealed class InsufficientStorageException : CameraServiceException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="availableBytes">Bytes still free.</param>
    /// <param name="thresholdPercent">The block threshold in percent of used space.</param>
    public InsufficientStorageException(long availableBytes, double thresholdPercent)
        : base($"Storage is above the block threshold of {thresholdPercent}% used; free space or change the retention policy.")
    {
        AvailableBytes = availableBytes;
        ThresholdPercent = thresholdPercent;
    }

    /// <summary>Bytes still free.</summary>
    public long AvailableBytes { get; }

    /// <summary>The block threshold in percent.</summary>
    public double ThresholdPercent { get; }
}

/// <summary>A parameter is invalid in a way only the plugin can tell (API error -32602).</summary>
public sealed class InvalidParameterException : CameraServiceException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="param">The parameter name.</param>
    /// <param name="rule">The rule it broke, readable by a user.</param>
    public InvalidParameterException(string param, string rule)
        : base($"Invalid parameter '{param}': {rule}")
    {
        Param = param;
        Rule = rule;
    }

    /// <summary>The parameter name.</summary>
    public string Param { get; }

    /// <summary>The broken rule.</summary>
    public string Rule { get; }
}
