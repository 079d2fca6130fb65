using System.Globalization;
using System.Net.Security;
using System.Security.Authentication;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace CameraService.Plugins.Rtsp;

/// <summary>The answer to a DESCRIBE.</summary>
/// <param name="Status">The RTSP status code (200, 401, 404 …).</param>
/// <param name="Sdp">The session description when the status is 200.</param>
/// <param name="AuthScheme">The scheme a 401 asked for (<c>Basic</c>, <c>Digest</c>), or null.</param>
internal sealed record DescribeAnswer(int Status, string? Sdp, string? AuthScheme)
{
    private SessionDescription? _description;

    /// <summary>What the SDP says about the media (null without an SDP); parsed when first asked (not for a keep-alive).</summary>
    public SessionDescription? Description => Sdp is null ? null : _description ??= SessionDescription.Parse(Sdp);

    /// <summary>The first video codec named by the SDP (<c>H264</c>, <c>H265</c>, <c>JPEG</c> …), or null.</summary>
    public string? VideoCodec => Description?.VideoCodec;
}

/// <summary>
/// A minimal RTSP client: one DESCRIBE (with Basic or Digest authentication when credentials are given) over a fresh
/// connection. Used for the keep-alive of connected streams and by discovery. Hand-written because no served .NET
/// package speaks RTSP; media is never read here (ffprobe and the backends do that).
/// </summary>
internal static class RtspClient
{
    private const int MaxHeaderBytes = 16 * 1024;
    private const int MaxBodyBytes = 64 * 1024;

    public static async Task<DescribeAnswer> DescribeAsync(StreamUrl url, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(url.Url.Host, url.Port, cts.Token).ConfigureAwait(false);
            Stream stream = tcp.GetStream();
            if (url.Url.Scheme == "rtsps")
            {
                // The probe only asks whether the stream is there; the backends verify the server when they pull media.
#pragma warning disable CA5359 // a liveness probe of an operator-configured camera, no data is trusted from it
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false, (_, _, _, _) => true);
#pragma warning restore CA5359
                await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = url.Url.Host }, cts.Token).ConfigureAwait(false);
                stream = ssl;
            }

            // The answer's header is read byte by byte (until the blank line): from a buffer, not one socket read each.
            stream = new BufferedStream(stream, 4096);
            await using (stream.ConfigureAwait(false))
            {
                var first = await SendAsync(stream, url, 1, null, cts.Token).ConfigureAwait(false);
                if (first.Status != 401 || url.UserName is null || first.Challenge is null)
                {
                    return new DescribeAnswer(first.Status, first.Status == 200 ? first.Body : null, first.Challenge is null ? null : SchemeOf(first.Challenge));
                }

                var authorization = Authorization(first.Challenge, url);
                var second = await SendAsync(stream, url, 2, authorization, cts.Token).ConfigureAwait(false);
                return new DescribeAnswer(second.Status, second.Status == 200 ? second.Body : null, second.Challenge is null ? null : SchemeOf(second.Challenge));
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ProbeException($"no RTSP answer within {timeout.TotalSeconds:0.#} s");
        }
        catch (Exception ex) when (ex is SocketException or IOException or AuthenticationException)
        {
            throw new ProbeException(ex is SocketException se ? se.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => "connection refused",
                SocketError.HostNotFound or SocketError.NoData => "host not found",
                SocketError.TimedOut => "connection timed out",
                _ => "network error: " + se.SocketErrorCode,
            } : "connection closed: " + ex.GetType().Name);
        }
    }

    private sealed record Response(int Status, string? Challenge, string? Body);

    private static async Task<Response> SendAsync(Stream stream, StreamUrl url, int cseq, string? authorization, CancellationToken ct)
    {
        var sb = new StringBuilder();
        sb.Append("DESCRIBE ").Append(url.Url.AbsoluteUri).Append(" RTSP/1.0\r\n")
            .Append("CSeq: ").Append(cseq.ToString(CultureInfo.InvariantCulture)).Append("\r\n")
            .Append("Accept: application/sdp\r\n")
            .Append("User-Agent: camera-service\r\n");
        if (authorization is not null)
        {
            sb.Append("Authorization: ").Append(authorization).Append("\r\n");
        }

        sb.Append("\r\n");
        await stream.WriteAsync(Encoding.ASCII.GetBytes(sb.ToString()), ct).ConfigureAwait(false);
        await stream.FlushAsync(ct).ConfigureAwait(false);

        var header = new List<byte>(1024);
        var one = new byte[1];
        while (true)
        {
            if (await stream.ReadAsync(one, ct).ConfigureAwait(false) == 0)
            {
                throw new IOException("the server closed the connection");
            }

            header.Add(one[0]);
            if (header.Count >= 4 && header[^1] == '\n' && header[^2] == '\r' && header[^3] == '\n' && header[^4] == '\r')
            {
                break;
            }

            if (header.Count > MaxHeaderBytes)
            {
                throw new IOException("the RTSP answer's header is too long");
            }
        }

        var lines = Encoding.ASCII.GetString([.. header]).Split("\r\n");
        var statusParts = lines[0].Split(' ', 3);
        if (statusParts.Length < 2 || !statusParts[0].StartsWith("RTSP/", StringComparison.Ordinal) ||
            !int.TryParse(statusParts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var status))
        {
            throw new IOException("not an RTSP server");
        }

        string? challenge = null;
        var length = 0;
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            var name = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (name.Equals("WWW-Authenticate", StringComparison.OrdinalIgnoreCase))
            {
                // Prefer Digest when the server offers both.
                if (challenge is null || value.StartsWith("Digest", StringComparison.OrdinalIgnoreCase))
                {
                    challenge = value;
                }
            }
            else if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                _ = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out length);
            }
        }

        string? body = null;
        if (length > 0)
        {
            if (length > MaxBodyBytes)
            {
                throw new IOException("the RTSP answer's body is too long");
            }

            var buffer = new byte[length];
            await stream.ReadExactlyAsync(buffer, ct).ConfigureAwait(false);
            body = Encoding.UTF8.GetString(buffer);
        }

        return new Response(status, challenge, body);
    }

    private static string SchemeOf(string challenge) => challenge.Split(' ', 2)[0];

    /// <summary>The Authorization header answering <paramref name="challenge"/> (RFC 2617 Basic or Digest with MD5, as RTSP cameras use).</summary>
    internal static string Authorization(string challenge, StreamUrl url)
    {
        var user = url.UserName ?? string.Empty;
        var password = url.Password ?? string.Empty;
        if (!challenge.StartsWith("Digest", StringComparison.OrdinalIgnoreCase))
        {
            return "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password));
        }

        var fields = ParseChallenge(challenge["Digest".Length..]);
        var realm = fields.GetValueOrDefault("realm", string.Empty);
        var nonce = fields.GetValueOrDefault("nonce", string.Empty);
        var uri = url.Url.AbsoluteUri;
#pragma warning disable CA5351 // RTSP Digest authentication (RFC 2326/2617) is defined with MD5; cameras speak nothing else
        static string Md5(string s) => Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(s)));
#pragma warning restore CA5351
        var ha1 = Md5(user + ":" + realm + ":" + password);
        var ha2 = Md5("DESCRIBE:" + uri);
        var response = Md5(ha1 + ":" + nonce + ":" + ha2);
        return $"Digest username=\"{user}\", realm=\"{realm}\", nonce=\"{nonce}\", uri=\"{uri}\", response=\"{response}\"";
    }

    private static Dictionary<string, string> ParseChallenge(string text)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && (text[i] == ' ' || text[i] == ','))
            {
                i++;
            }

            var eq = text.IndexOf('=', i);
            if (eq < 0)
            {
                break;
            }

            var key = text[i..eq].Trim();
            i = eq + 1;
            string value;
            if (i < text.Length && text[i] == '"')
            {
                var end = text.IndexOf('"', i + 1);
                end = end < 0 ? text.Length : end;
                value = text[(i + 1)..end];
                i = end + 1;
            }
            else
            {
                var end = text.IndexOf(',', i);
                end = end < 0 ? text.Length : end;
                value = text[i..end].Trim();
                i = end;
            }

            result[key] = value;
        }

        return result;
    }
}
