//! Passing a request on to the app and its answer back, streamed both ways with `awc` (actix's
//! own client), and websockets frame by frame (`actix-ws` towards the browser, `awc`'s websocket
//! client towards the app). Which headers cross, either way, is [`super::headers`]' decision.

use actix_web::http::header::{self, HeaderMap};
use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::CloseCode;
use awc::error::{ConnectError, SendRequestError, WsClientError};
use futures_util::{SinkExt, StreamExt};
use url::Url;

use super::headers::end_to_end;

/// The app's URL for this request: its origin, this path and query.
pub fn upstream_url(upstream: &Url, req: &HttpRequest) -> String {
    let path = req.uri().path_and_query().map_or("/", |p| p.as_str());
    format!("{}{path}", upstream.as_str().trim_end_matches('/'))
}

/// Forwards a plain HTTP request, body and answer streamed.
pub async fn forward(
    client: &awc::Client,
    url: String,
    req: &HttpRequest,
    headers: HeaderMap,
    payload: web::Payload,
) -> HttpResponse {
    let request = || {
        let mut request = client.request(req.method().clone(), &url);
        for (name, value) in &headers {
            request = request.insert_header((name.clone(), value.clone()));
        }
        request
    };
    let has_body = req.headers().contains_key(header::CONTENT_LENGTH)
        || req.headers().contains_key(header::TRANSFER_ENCODING);
    let sent = if has_body {
        request().send_stream(payload).await
    } else {
        send_without_body(request).await
    };
    let Ok(answer) = sent.inspect_err(|e| tracing::warn!(error = %e, "the app did not answer"))
    else {
        return HttpResponse::BadGateway()
            .content_type("text/plain; charset=utf-8")
            .body("The application behind this gate did not answer. Try again shortly.");
    };
    let mut response = HttpResponse::build(answer.status());
    for (name, value) in end_to_end(answer.headers()) {
        response.append_header((name.clone(), value.clone()));
    }
    response.streaming(answer)
}

/// Sends a request without a body, once more on a new connection if the kept-alive one had been
/// closed by the app (HTTP/1.0 servers do): without a body that is safe.
async fn send_without_body(
    request: impl Fn() -> awc::ClientRequest,
) -> <awc::SendClientRequest as std::future::Future>::Output {
    match request().send().await {
        Err(SendRequestError::Connect(ConnectError::Disconnected)) => request().send().await,
        other => other,
    }
}

/// The largest websocket frame the gate carries, either way: Jupyter's own bound is Tornado's
/// 10 MiB message; a message sent in fragments may be larger, each fragment up to this.
pub const MAX_WEBSOCKET_FRAME: usize = 32 * 1024 * 1024;

/// Forwards a websocket: the browser's upgrade is accepted once the app accepted its own, with the
/// subprotocol the app chose, then every frame (fragments as fragments) is passed on until either
/// side closes, and its close code with it. The app's refusal reaches the browser with the app's
/// status.
pub async fn websocket(
    client: &awc::Client,
    url: String,
    req: &HttpRequest,
    headers: HeaderMap,
    payload: web::Payload,
) -> HttpResponse {
    let ws_url = url.replacen("http", "ws", 1);
    let mut connect = client.ws(ws_url).max_frame_size(MAX_WEBSOCKET_FRAME);
    for (name, value) in &headers {
        connect = connect.set_header(name.clone(), value.clone());
    }
    if let Some(protocols) = req.headers().get(header::SEC_WEBSOCKET_PROTOCOL) {
        connect = connect.set_header(header::SEC_WEBSOCKET_PROTOCOL, protocols.clone());
    }
    let (answer, app) = match connect.connect().await {
        Ok(connected) => connected,
        Err(WsClientError::InvalidResponseStatus(status)) => {
            return HttpResponse::build(status).body("The application refused the websocket.");
        }
        Err(e) => {
            tracing::warn!(error = %e, "the app did not accept the websocket");
            return HttpResponse::BadGateway()
                .body("The application did not answer the websocket.");
        }
    };
    let chosen = (answer.headers().get(header::SEC_WEBSOCKET_PROTOCOL))
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let protocols: Vec<&str> = chosen.as_deref().into_iter().collect();
    let Ok((response, browser, from_browser)) =
        actix_ws::handle_with_protocols(req, payload, &protocols)
    else {
        return HttpResponse::BadRequest().body("Not a websocket upgrade.");
    };
    let from_browser = from_browser.max_frame_size(MAX_WEBSOCKET_FRAME);
    actix_web::rt::spawn(pump(browser, from_browser, app));
    response
}

/// Passes frames both ways until either side closes or fails; a close frame crosses with its code.
async fn pump<A>(
    mut browser: actix_ws::Session,
    mut from_browser: actix_ws::MessageStream,
    mut app: A,
) where
    A: futures_util::Stream<Item = Result<awc::ws::Frame, awc::error::WsProtocolError>>
        + futures_util::Sink<awc::ws::Message>
        + Unpin,
{
    loop {
        tokio::select! {
            message = from_browser.next() => {
                let Some(Ok(message)) = message else {
                    // The browser went away without a close frame: 1001 "going away" to the app.
                    let _ = app.send(going_away()).await;
                    break;
                };
                let closing = matches!(message, actix_ws::Message::Close(_));
                if app.send(message).await.is_err() || closing {
                    break;
                }
            }
            frame = app.next() => {
                let Some(Ok(frame)) = frame else {
                    let _ = browser.close(Some(CloseCode::Away.into())).await;
                    break;
                };
                if let awc::ws::Frame::Close(reason) = frame {
                    let _ = browser.close(reason).await;
                    break;
                }
                if to_browser(&mut browser, frame).await.is_err() {
                    break;
                }
            }
        }
    }
}

/// A close frame saying the other side went away (1001).
fn going_away() -> awc::ws::Message {
    awc::ws::Message::Close(Some(CloseCode::Away.into()))
}

/// One frame of the app's, to the browser as it came (a fragment as a fragment).
async fn to_browser(
    browser: &mut actix_ws::Session,
    frame: awc::ws::Frame,
) -> Result<(), actix_ws::Closed> {
    use awc::ws::Frame;
    match frame {
        Frame::Text(text) => match std::str::from_utf8(&text) {
            Ok(text) => browser.text(text.to_string()).await,
            // Not UTF-8: the app broke the protocol; end the socket.
            Err(_) => Err(actix_ws::Closed),
        },
        Frame::Binary(bytes) => browser.binary(bytes).await,
        Frame::Continuation(item) => browser.continuation(item).await,
        Frame::Ping(bytes) => browser.ping(&bytes).await,
        Frame::Pong(bytes) => browser.pong(&bytes).await,
        Frame::Close(reason) => browser.clone().close(reason).await,
    }
}
