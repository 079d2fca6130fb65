using CameraService.Abstractions;

namespace CameraService.Plugins.Rtsp;

/// <summary>
/// The streams of the source and their persistence: the configured ones, the ones added over the API (kept in
/// <see cref="StreamStore"/> across restarts) and the discovery interval set over the API.
/// </summary>
/// <remarks>
/// Owns the list (and every entry's mutable state) under one lock, and a mutation gate that lets one add, remove or
/// interval change (with its save) run at a time. A change that cannot be saved is undone and reported; nothing is
/// half-applied.
/// </remarks>
internal sealed class StreamRegistry(StreamStore store) : IDisposable
{
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _mutation = new(1, 1);
    private readonly List<StreamEntry> _streams = [];
    private int? _discoveryInterval;

    /// <summary>The discovery interval in seconds set over the API, or null (the configured one applies).</summary>
    public int? DiscoveryInterval => _discoveryInterval;

    /// <summary>Lists the configured streams and the stored ones; returns the store's load error (for the log), if any.</summary>
    public string? Load(IEnumerable<ConfiguredStream> configured, DateTimeOffset now)
    {
        var (stored, interval, error) = store.Load();
        _discoveryInterval = interval;
        lock (_gate)
        {
            foreach (var c in configured)
            {
                // Validated at start (RtspOptionsValidator).
                _ = StreamUrl.TryParse(c.Url, out var url, out _);
                _streams.Add(new StreamEntry(url!, c.Name.Trim(), c.Type is { Length: > 0 } t ? t : url!.DefaultType, Configured: true, now));
            }

            foreach (var (s, credential) in stored)
            {
                if (!StreamUrl.TryParse(s.Url, out var url, out _) || _streams.Any(e => e.Url.StableId == url.StableId))
                {
                    continue;
                }

                _streams.Add(new StreamEntry(url with { UserName = credential?.User, Password = credential?.Password }, s.Name, s.Type, Configured: false, s.AddedAt));
            }
        }

        return error;
    }

    /// <summary>Runs <paramref name="action"/> under the lock that guards the list and the state of every entry.</summary>
    public T Locked<T>(Func<IReadOnlyList<StreamEntry>, T> action)
    {
        lock (_gate)
        {
            return action(_streams);
        }
    }

    /// <summary>
    /// Adds a stream and saves the list; then, still as the only mutation, calls <paramref name="added"/> (which
    /// announces and watches it).
    /// </summary>
    /// <exception cref="InvalidParameterException">The URL is already listed, or the list is full.</exception>
    /// <exception cref="DependencyFailedException">The list could not be saved; nothing was added.</exception>
    public async Task AddAsync(StreamEntry entry, int maxStreams, Action<StreamEntry> added, CancellationToken cancellationToken)
    {
        await _mutation.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_gate)
            {
                if (_streams.Any(s => s.Url.StableId == entry.Url.StableId))
                {
                    throw new InvalidParameterException("stream_url", $"{entry.Url.Display} is already added; remove_external_stream it first to change it.");
                }

                if (_streams.Count >= maxStreams)
                {
                    throw new InvalidParameterException("stream_url", $"at most {maxStreams} streams (Plugins:Rtsp:MaxStreams) can be added.");
                }

                _streams.Add(entry);
            }

            try
            {
                Save();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                lock (_gate)
                {
                    _streams.Remove(entry);
                }

                throw new DependencyFailedException("state", "the stream could not be saved (state directory not writable); nothing was added", ex);
            }

            added(entry);
        }
        finally
        {
            _mutation.Release();
        }
    }

    /// <summary>Removes a stream added over the API (by its URL, also in its listed form with a masked password) and saves the list.</summary>
    /// <exception cref="ResourceNotFoundException">No stream has the URL.</exception>
    /// <exception cref="InvalidStateException">The stream comes from the configuration.</exception>
    public async Task<StreamEntry> RemoveAsync(string url, CancellationToken cancellationToken)
    {
        StreamEntry? entry;
        await _mutation.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_gate)
            {
                entry = Find(url);
                if (entry is null)
                {
                    throw new ResourceNotFoundException("stream", Redact(url), $"No external stream has the URL '{Redact(url)}'; get_external_streams lists them.");
                }

                if (entry.Configured)
                {
                    throw new InvalidStateException("configured_stream", "CONFIGURED", $"{entry.Url.Display} comes from the configuration (Plugins:Rtsp:Streams); remove it there.");
                }

                _streams.Remove(entry);
            }

            Save();
        }
        finally
        {
            _mutation.Release();
        }

        return entry;
    }

    /// <summary>Saves a new discovery interval (seconds); when it cannot be saved the interval is unchanged.</summary>
    /// <exception cref="DependencyFailedException">The state could not be saved.</exception>
    public async Task SetDiscoveryIntervalAsync(int seconds, CancellationToken cancellationToken)
    {
        await _mutation.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var before = _discoveryInterval;
            _discoveryInterval = seconds;
            try
            {
                Save();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _discoveryInterval = before;
                throw new DependencyFailedException("state", "the interval could not be saved (state directory not writable); it is unchanged", ex);
            }
        }
        finally
        {
            _mutation.Release();
        }
    }

    public void Dispose() => _mutation.Dispose();

    private static string Redact(string url) =>
        StreamUrl.TryParse(url, out var parsed, out _) ? parsed.Display : (url.Length > 200 ? url[..200] : url).Split('@')[^1];

    private StreamEntry? Find(string url)
    {
        if (StreamUrl.TryParse(url, out var parsed, out _))
        {
            return _streams.FirstOrDefault(s => s.Url.StableId == parsed.StableId);
        }

        // "rtsp://user:***@host/…" as listed is refused by TryParse (the *** password); match it by its display form.
        return _streams.FirstOrDefault(s => string.Equals(s.Url.Display, url, StringComparison.Ordinal));
    }

    /// <summary>Writes the streams added over the API and the interval (called under the mutation gate).</summary>
    private void Save()
    {
        List<(StoredStream, StoredCredential?)> streams;
        lock (_gate)
        {
            streams = [.. _streams.Where(s => !s.Configured).Select(s => (
                new StoredStream(s.Url.StableId, s.Url.Url.AbsoluteUri, s.Name, s.Type, s.AddedAt),
                s.Url.UserName is null ? null : new StoredCredential(s.Url.UserName, s.Url.Password)))];
        }

        store.Save(streams, _discoveryInterval);
    }
}
