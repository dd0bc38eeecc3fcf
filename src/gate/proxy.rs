//! Passing a request on to the app and its answer back, streamed both ways with `awc` (actix's
//! own client), and websockets frame by frame (`actix-ws` towards the browser, `awc`'s websocket
//! client towards the app). Which headers cross, either way, is [`super::headers`]' decision.

use actix_web::http::header::{self, HeaderMap};
use actix_web::{HttpRequest, HttpResponse, web};
use awc::error::{ConnectError, SendRequestError};
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

/// Forwards a websocket: the browser's upgrade is accepted once the app accepted its own, then
/// every frame is passed on until either side closes.
pub async fn websocket(
    client: &awc::Client,
    url: String,
    req: &HttpRequest,
    headers: HeaderMap,
    payload: web::Payload,
) -> HttpResponse {
    let ws_url = url.replacen("http", "ws", 1);
    let mut connect = client.ws(ws_url);
    for (name, value) in &headers {
        connect = connect.set_header(name.clone(), value.clone());
    }
    if let Some(protocols) = req.headers().get("sec-websocket-protocol") {
        connect = connect.set_header("sec-websocket-protocol", protocols.clone());
    }
    let Ok((_, app)) = connect.connect().await else {
        return HttpResponse::BadGateway().body("The application refused the websocket.");
    };
    let Ok((response, browser, from_browser)) = actix_ws::handle(req, payload) else {
        return HttpResponse::BadRequest().body("Not a websocket upgrade.");
    };
    actix_web::rt::spawn(pump(browser, from_browser, app));
    response
}

/// Passes frames both ways until either side closes or fails.
async fn pump<A>(
    mut browser: actix_ws::Session,
    mut from_browser: actix_ws::MessageStream,
    mut app: A,
) where
    A: futures_util::Stream<Item = Result<awc::ws::Frame, awc::error::WsProtocolError>>
        + futures_util::Sink<awc::ws::Message>
        + Unpin,
{
    use actix_ws::Message;
    use awc::ws::Frame;
    loop {
        tokio::select! {
            message = from_browser.next() => {
                let Some(Ok(message)) = message else { break };
                let closing = matches!(message, Message::Close(_));
                if app.send(message).await.is_err() || closing {
                    break;
                }
            }
            frame = app.next() => {
                let sent = match frame {
                    Some(Ok(Frame::Text(text))) => match std::str::from_utf8(&text) {
                        Ok(text) => browser.text(text.to_string()).await,
                        Err(_) => break,
                    },
                    Some(Ok(Frame::Binary(bytes))) => browser.binary(bytes).await,
                    Some(Ok(Frame::Ping(bytes))) => browser.ping(&bytes).await,
                    Some(Ok(Frame::Pong(bytes))) => browser.pong(&bytes).await,
                    Some(Ok(Frame::Close(reason))) => {
                        let _ = browser.close(reason).await;
                        break;
                    }
                    Some(Ok(Frame::Continuation(_))) => Ok(()),
                    _ => break,
                };
                if sent.is_err() {
                    break;
                }
            }
        }
    }
}
